namespace Soma.Contracts.Events;

/// <summary><c>agent.steps.v1</c> <c>step.retrying</c>: The attempt failed and another is scheduled.</summary>
/// <param name="StepId">The step id (with its loop iteration).</param>
/// <param name="Attempt">Attempt number, from 1.</param>
/// <param name="CheckpointVersion">The checkpoint version.</param>
/// <param name="DurationMs">Attempt duration in milliseconds.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="NextAttemptAt">When the next attempt is due.</param>
/// <param name="DelayMs">Backoff delay.</param>
/// <param name="StepName">Human-readable step name.</param>
/// <param name="LoopIteration">Iteration of the enclosing loop.</param>
public sealed record StepRetrying(string StepId, int Attempt, long CheckpointVersion, double DurationMs, EventError Error, DateTimeOffset NextAttemptAt, double? DelayMs = null, string? StepName = null, int? LoopIteration = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Steps;

    /// <inheritdoc />
    public static string EventType => "step.retrying";
}
