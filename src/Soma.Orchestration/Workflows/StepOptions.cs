namespace Soma.Orchestration.Workflows;

/// <summary>Configures a step (or, with <see cref="After"/> only, a loop) while a workflow is built.</summary>
public sealed class StepOptions
{
    private readonly List<string> _dependsOn = [];

    internal StepOptions()
    {
    }

    internal IReadOnlyList<string> DependsOn => _dependsOn;

    internal Func<StepConditionContext, bool>? Condition { get; private set; }

    internal bool HasSideEffects { get; private set; }

    internal StepPolicy? Policy { get; private set; }

    /// <summary>True when something other than <see cref="After"/> was set: a loop refuses it.</summary>
    internal bool HasStepOnlySettings => Condition is not null || HasSideEffects || Policy is not null;

    /// <summary>Runs after these steps or loops (of the same level, or for a loop body step, anything the loop runs after). Calls add up.</summary>
    public StepOptions After(params string[] dependsOn)
    {
        ArgumentNullException.ThrowIfNull(dependsOn);
        foreach (var id in dependsOn)
        {
            ArgumentNullException.ThrowIfNull(id, nameof(dependsOn));
            if (!_dependsOn.Contains(id, StringComparer.Ordinal))
            {
                _dependsOn.Add(id);
            }
        }

        return this;
    }

    /// <summary>
    /// Runs only when the condition holds; otherwise the step is skipped (it counts as done and has no output). The
    /// condition sees the outputs of the step's dependencies. Calls add up: every condition must hold.
    /// </summary>
    public StepOptions When(Func<StepConditionContext, bool> condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var previous = Condition;
        Condition = previous is null ? condition : context => previous(context) && condition(context);
        return this;
    }

    /// <summary>The step has side effects: it gets an idempotency key (<see cref="StepContext.IdempotencyKey"/>) that stays the same across retries.</summary>
    public StepOptions SideEffecting()
    {
        HasSideEffects = true;
        return this;
    }

    /// <summary>Sets the retry and timeout policy (default <see cref="StepPolicy.Default"/>).</summary>
    public StepOptions WithPolicy(StepPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
        return this;
    }
}
