namespace Soma.Orchestration.Workflows;

/// <summary>
/// A bounded loop: its body (a small DAG of steps) runs for iteration 0, 1, … while <see cref="ContinueWhile"/> holds,
/// at most <see cref="MaxIterations"/> times. Steps that depend on the loop see the outputs of its last iteration,
/// keyed by body step id. Immutable once built.
/// </summary>
public sealed class LoopDefinition
{
    internal LoopDefinition(string id, IReadOnlyList<string> dependsOn, int maxIterations, IReadOnlyList<StepDefinition> body, Func<StepConditionContext, bool> continueWhile, IReadOnlyList<string> topologicalOrder)
    {
        Id = id;
        DependsOn = dependsOn;
        MaxIterations = maxIterations;
        Body = body;
        ContinueWhile = continueWhile;
        TopologicalOrder = topologicalOrder;
    }

    /// <summary>The loop's id, unique across the whole workflow; matches <c>^[a-z][a-z0-9_-]{0,62}$</c>.</summary>
    public string Id { get; }

    /// <summary>The ids of the top-level steps or loops this loop runs after.</summary>
    public IReadOnlyList<string> DependsOn { get; }

    /// <summary>The most iterations the body runs (1 to 1000).</summary>
    public int MaxIterations { get; }

    /// <summary>The body's steps, in declaration order; each has <see cref="StepDefinition.LoopId"/> set to this loop.</summary>
    public IReadOnlyList<StepDefinition> Body { get; }

    /// <summary>
    /// Evaluated after each iteration with that iteration's outputs (by body step id) and its
    /// <see cref="StepConditionContext.LoopIteration"/>: true runs another iteration (unless
    /// <see cref="MaxIterations"/> is reached), false ends the loop.
    /// </summary>
    public Func<StepConditionContext, bool> ContinueWhile { get; }

    /// <summary>The body's step ids in a valid execution order (declaration order among steps that are ready together).</summary>
    public IReadOnlyList<string> TopologicalOrder { get; }

    /// <inheritdoc />
    public override string ToString() => Id;
}
