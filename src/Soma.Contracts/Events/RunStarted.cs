namespace Soma.Contracts.Events;

/// <summary><c>agent.runs.v1</c> <c>run.started</c>: A worker took the run's lease and began executing it.</summary>
/// <param name="RunVersion">The run record version.</param>
/// <param name="Workflow">The workflow.</param>
/// <param name="Worker">The worker holding the lease.</param>
public sealed record RunStarted(long RunVersion, WorkflowRef Workflow, string? Worker = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Runs;

    /// <inheritdoc />
    public static string EventType => "run.started";
}
