namespace Soma.Contracts.Events;

/// <summary><c>agent.steps.v1</c> <c>step.succeeded</c>: The attempt succeeded and its output was checkpointed.</summary>
/// <param name="StepId">The step id (with its loop iteration).</param>
/// <param name="Attempt">Attempt number, from 1.</param>
/// <param name="CheckpointVersion">The checkpoint version.</param>
/// <param name="DurationMs">Attempt duration in milliseconds.</param>
/// <param name="OutputBytes">Output size in bytes.</param>
/// <param name="StepName">Human-readable step name.</param>
/// <param name="LoopIteration">Iteration of the enclosing loop.</param>
public sealed record StepSucceeded(string StepId, int Attempt, long CheckpointVersion, double DurationMs, long? OutputBytes = null, string? StepName = null, int? LoopIteration = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Steps;

    /// <inheritdoc />
    public static string EventType => "step.succeeded";
}
