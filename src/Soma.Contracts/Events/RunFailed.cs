namespace Soma.Contracts.Events;

/// <summary><c>agent.runs.v1</c> <c>run.failed</c>: The run failed.</summary>
/// <param name="RunVersion">The run record version.</param>
/// <param name="Workflow">The workflow.</param>
/// <param name="DurationMs">Run duration in milliseconds.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="CheckpointVersion">The last checkpoint version.</param>
public sealed record RunFailed(long RunVersion, WorkflowRef Workflow, double DurationMs, EventError Error, long? CheckpointVersion = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Runs;

    /// <inheritdoc />
    public static string EventType => "run.failed";
}
