namespace Soma.Contracts.Events;

/// <summary><c>agent.runs.v1</c> <c>run.resumed</c>: A waiting or failed run was resumed.</summary>
/// <param name="RunVersion">The run record version.</param>
/// <param name="Workflow">The workflow.</param>
/// <param name="CheckpointVersion">The checkpoint it resumes from.</param>
/// <param name="ResumedFrom">The state it was resumed from.</param>
public sealed record RunResumed(long RunVersion, WorkflowRef Workflow, long CheckpointVersion, ResumedFrom ResumedFrom) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Runs;

    /// <inheritdoc />
    public static string EventType => "run.resumed";
}
