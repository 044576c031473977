namespace Soma.Contracts.Events;

/// <summary><c>agent.steps.v1</c> <c>step.started</c>: An attempt of a step began.</summary>
/// <param name="StepId">The step id (with its loop iteration).</param>
/// <param name="Attempt">Attempt number, from 1.</param>
/// <param name="CheckpointVersion">The checkpoint version.</param>
/// <param name="StepName">Human-readable step name.</param>
/// <param name="LoopIteration">Iteration of the enclosing loop.</param>
public sealed record StepStarted(string StepId, int Attempt, long CheckpointVersion, string? StepName = null, int? LoopIteration = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Steps;

    /// <inheritdoc />
    public static string EventType => "step.started";
}
