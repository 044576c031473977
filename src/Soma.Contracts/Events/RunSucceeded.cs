namespace Soma.Contracts.Events;

/// <summary><c>agent.runs.v1</c> <c>run.succeeded</c>: The run finished successfully.</summary>
/// <param name="RunVersion">The run record version.</param>
/// <param name="Workflow">The workflow.</param>
/// <param name="CheckpointVersion">The final checkpoint version.</param>
/// <param name="DurationMs">Run duration in milliseconds.</param>
/// <param name="Output">The run output.</param>
public sealed record RunSucceeded(long RunVersion, WorkflowRef Workflow, long CheckpointVersion, double DurationMs, System.Text.Json.JsonElement? Output = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Runs;

    /// <inheritdoc />
    public static string EventType => "run.succeeded";
}
