namespace Soma.Contracts.Events;

/// <summary><c>agent.runs.v1</c> <c>run.cancelled</c>: The run was cancelled.</summary>
/// <param name="RunVersion">The run record version.</param>
/// <param name="Workflow">The workflow.</param>
/// <param name="Reason">Why it was cancelled.</param>
public sealed record RunCancelled(long RunVersion, WorkflowRef Workflow, string? Reason = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Runs;

    /// <inheritdoc />
    public static string EventType => "run.cancelled";
}
