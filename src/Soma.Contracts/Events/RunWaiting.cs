namespace Soma.Contracts.Events;

/// <summary><c>agent.runs.v1</c> <c>run.waiting</c>: The run waits for external input.</summary>
/// <param name="RunVersion">The run record version.</param>
/// <param name="Workflow">The workflow.</param>
/// <param name="CheckpointVersion">The checkpoint it waits at.</param>
/// <param name="WaitingFor">What it waits for.</param>
public sealed record RunWaiting(long RunVersion, WorkflowRef Workflow, long CheckpointVersion, string WaitingFor) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Runs;

    /// <inheritdoc />
    public static string EventType => "run.waiting";
}
