namespace Soma.Orchestration;

/// <summary>
/// The one registry of this project's log event ids: every <c>[LoggerMessage]</c> of Soma.Orchestration takes its id from here, each id
/// names one kind of log line, and ids stay stable across releases (operators filter and alert on them). A test checks
/// that they are unique and that no <c>[LoggerMessage]</c> uses an id from elsewhere.
/// </summary>
internal static class LogEvents
{
    /// <summary>Logged by <c>RunExecutor</c>.</summary>
    public const int RunExecutorFenced = 3001;

    /// <summary>Logged by <c>RunExecutor</c>.</summary>
    public const int RunExecutorRenewFailed = 3002;

    /// <summary>Logged by <c>RunExecutor</c>.</summary>
    public const int RunExecutorStepThrew = 3003;

    /// <summary>Logged by <c>RunExecutor</c>.</summary>
    public const int RunExecutorRunEnded = 3004;

    /// <summary>Logged by <c>RunWorker</c>.</summary>
    public const int RunWorkerAcquireFailed = 3101;

    /// <summary>Logged by <c>CheckpointPruner</c>.</summary>
    public const int CheckpointPrunerPruned = 3201;

    /// <summary>Logged by <c>CheckpointPruner</c>.</summary>
    public const int CheckpointPrunerPruneFailed = 3202;

    /// <summary>Logged by <c>RunGraphExporter</c>.</summary>
    public const int RunGraphExporterExportFailed = 3301;
}
