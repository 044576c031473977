namespace Soma.Contracts.Events;

/// <summary><c>agent.runs.v1</c> <c>run.checkpointed</c>: A new checkpoint version was committed.</summary>
/// <param name="RunVersion">The run record version.</param>
/// <param name="Workflow">The workflow.</param>
/// <param name="CheckpointVersion">The committed checkpoint version.</param>
/// <param name="StepsCompleted">Steps completed so far.</param>
public sealed record RunCheckpointed(long RunVersion, WorkflowRef Workflow, long CheckpointVersion, int? StepsCompleted = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Runs;

    /// <inheritdoc />
    public static string EventType => "run.checkpointed";
}
