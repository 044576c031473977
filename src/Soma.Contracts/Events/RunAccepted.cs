namespace Soma.Contracts.Events;

/// <summary><c>agent.runs.v1</c> <c>run.accepted</c>: A run was durably accepted; nothing has executed yet.</summary>
/// <param name="RunVersion">The run record version.</param>
/// <param name="Workflow">The workflow.</param>
public sealed record RunAccepted(long RunVersion, WorkflowRef Workflow) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Runs;

    /// <inheritdoc />
    public static string EventType => "run.accepted";
}
