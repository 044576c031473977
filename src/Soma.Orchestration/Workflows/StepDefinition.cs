namespace Soma.Orchestration.Workflows;

/// <summary>One step of a workflow, at the top level or inside a loop body. Immutable once built.</summary>
public sealed class StepDefinition
{
    internal StepDefinition(string id, IReadOnlyList<string> dependsOn, Func<StepConditionContext, bool>? condition, bool hasSideEffects, StepPolicy policy, StepFunction execute, string? loopId)
    {
        Id = id;
        DependsOn = dependsOn;
        Condition = condition;
        HasSideEffects = hasSideEffects;
        Policy = policy;
        Execute = execute;
        LoopId = loopId;
    }

    /// <summary>The step's id, unique across the whole workflow (loop bodies included); matches <c>^[a-z][a-z0-9_-]{0,62}$</c>.</summary>
    public string Id { get; }

    /// <summary>The ids of the steps or loops this step runs after, in declaration order.</summary>
    public IReadOnlyList<string> DependsOn { get; }

    /// <summary>When it returns false the step is skipped: it counts as done and its output is absent. Null means always run.</summary>
    public Func<StepConditionContext, bool>? Condition { get; }

    /// <summary>Whether the step has side effects, and so gets an idempotency key (<see cref="EffectKeys"/>).</summary>
    public bool HasSideEffects { get; }

    /// <summary>Retries and timeout.</summary>
    public StepPolicy Policy { get; }

    /// <summary>The step's work.</summary>
    public StepFunction Execute { get; }

    /// <summary>The loop whose body holds this step, or null for a top-level step.</summary>
    public string? LoopId { get; }

    /// <summary>Evaluates <see cref="Condition"/>: true when the step should run, false when it is skipped.</summary>
    public bool ShouldRun(StepConditionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Condition?.Invoke(context) ?? true;
    }

    /// <summary>The step key of this step in a given loop iteration (see <see cref="StepKeys"/>).</summary>
    /// <param name="loopIteration">The loop iteration; 0 for a top-level step.</param>
    public string KeyFor(int loopIteration = 0) => StepKeys.For(Id, LoopId, loopIteration);

    /// <inheritdoc />
    public override string ToString() => LoopId is null ? Id : $"{LoopId}/{Id}";
}
