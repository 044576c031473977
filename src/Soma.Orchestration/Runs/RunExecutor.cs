using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Executes one leased run until it ends, waits, backs off for long, or loses its lease. Steps run in dependency order,
/// independent ones concurrently; every result is committed as a new checkpoint version (compare-and-swap on the run
/// version, fenced by the lease) before any step that depends on it starts. A side-effecting step's result is written
/// to the effects ledger in the same transaction, so a retry or a resume never runs the effect again. A workflow with
/// <see cref="DurabilityMode.Batched"/> durability keeps its pure steps' results in memory and commits them together
/// (see <see cref="WorkflowDurability"/>).
/// </summary>
public sealed partial class RunExecutor(
    IStore store,
    IRunStore runs,
    ICheckpointStore checkpoints,
    IEffectsLedger effects,
    IOutbox outbox,
    Contracts.Identity.IIdGenerator ids,
    WorkflowRegistry workflows,
    TimeProvider time,
    IOptions<OrchestrationOptions> options,
    ILogger<RunExecutor> logger,
    Export.RunGraphExporter? exporter = null,
    IEnumerable<IRunEventObserver>? observers = null,
    GroupCommitter? committer = null)
{
    private readonly IRunStore _runs = runs;
    private readonly ICheckpointStore _checkpoints = checkpoints;
    private readonly IEffectsLedger _effects = effects;
    private readonly WorkflowRegistry _workflows = workflows;
    private readonly TimeProvider _time = time;
    private readonly OrchestrationOptions _options = options.Value;
    private readonly ILogger _logger = logger;
    private readonly Export.RunGraphExporter? _exporter = exporter;
    /// <summary>The activity source of runs and steps.</summary>
    public static readonly ActivitySource ActivitySource = Core.Telemetry.SomaActivitySources.Orchestration;

    private readonly RunEvents _events = new(outbox, ids, time, observers);
    private readonly GroupCommitter _committer = committer ?? new(store);

    /// <summary>Runs <paramref name="leased"/> (leased to <paramref name="owner"/>) as far as it can go now.</summary>
    public async Task ExecuteAsync(RunRecord leased, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leased);
        // The run continues the trace of the request that started it, in this process or another (the run row keeps its traceparent).
        using var activity = ActivitySource.StartActivity($"run {leased.Workflow}", ActivityKind.Internal, Core.Telemetry.SomaActivitySources.ParentFrom(leased.TraceParent));
        activity?.SetTag("soma.run_id", leased.Id);
        activity?.SetTag("soma.workflow", leased.Workflow);
        activity?.SetTag("soma.tenant", leased.TenantId);
        using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lease = TimeSpan.FromSeconds(_options.LeaseSeconds);
        var renewal = RenewAsync(leased, owner, lease, leaseLost);
        try
        {
            var execution = new Execution(this, leased, owner, leaseLost.Token);
            await execution.RunAsync().ConfigureAwait(false);
        }
        catch (RunFencedException ex)
        {
            Log.Fenced(_logger, leased.Id, ex.Message);
        }
        catch (OperationCanceledException) when (leaseLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Log.Fenced(_logger, leased.Id, "the lease could not be renewed");
        }
        finally
        {
            // Cancel, not CancelAsync: the renewal's wait ends on this thread and nothing hops to the thread pool at every
            // run's end (the steps have finished by now, so no other callback is registered).
            leaseLost.Cancel();
            await renewal.ConfigureAwait(false);
        }
    }

    private async Task RenewAsync(RunRecord run, string owner, TimeSpan lease, CancellationTokenSource leaseLost)
    {
        try
        {
            while (true)
            {
                // Every run's end cancels this wait: no exception for it (one per run costs more than the wait).
                await Task.Delay(lease / 3, _time, leaseLost.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (leaseLost.IsCancellationRequested)
                {
                    return;
                }

                if (!await _runs.RenewLeaseAsync(owner, run.TenantId, run.Id, lease, leaseLost.Token).ConfigureAwait(false))
                {
                    // Someone else holds the run now (or it was cancelled): stop the steps, commit nothing more.
                    await leaseLost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (StoreException ex)
        {
            Log.RenewFailed(_logger, run.Id, ex.Message);
            await leaseLost.CancelAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RunExecutorFenced, Level = LogLevel.Information, Message = "Run {RunId} stopped on this worker: {Reason}")]
        public static partial void Fenced(ILogger logger, Guid runId, string reason);

        [LoggerMessage(EventId = LogEvents.RunExecutorRenewFailed, Level = LogLevel.Warning, Message = "Could not renew the lease of run {RunId}: {Reason}")]
        public static partial void RenewFailed(ILogger logger, Guid runId, string reason);

        [LoggerMessage(EventId = LogEvents.RunExecutorStepThrew, Level = LogLevel.Warning, Message = "Step {Step} of run {RunId} threw")]
        public static partial void StepThrew(ILogger logger, Exception exception, Guid runId, string step);

        [LoggerMessage(EventId = LogEvents.RunExecutorRunEnded, Level = LogLevel.Information, Message = "Run {RunId} {Outcome}")]
        public static partial void RunEnded(ILogger logger, Guid runId, string outcome);
    }
}
