using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Soma.Contracts.Identity;
using Soma.Core.Signals;

namespace Soma.Core.Outbox;

/// <summary>
/// The loop around <see cref="OutboxRelay"/>, one per route and process (several processes share the work through the
/// outbox's leases): a pass at a time, as fast as they go while there is work; a pass that stopped on a transient
/// failure backs off with decorrelated jitter up to the route's cap; an idle loop waits for its signal, when it has one (a commit in this
/// process) or the poll interval (commits elsewhere). <see cref="Pace"/> lets a route pause or slow down, as the
/// memory sync worker does while the memory service is down or degraded.
/// </summary>
public abstract partial class OutboxRelayWorker(OutboxRelay relay, WakeSignal? signal, TimeProvider time, ILogger logger) : BackgroundService
{
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{InstanceName.New()}";
    private IReadOnlyList<Guid> _unacknowledged = [];

    /// <summary>What this loop claims.</summary>
    protected abstract OutboxRoute Route { get; }

    /// <summary>Where it delivers.</summary>
    protected abstract IOutboxSink Sink { get; }

    /// <summary>How long an idle loop waits before it looks again (commits of other processes).</summary>
    protected abstract TimeSpan PollInterval { get; }

    /// <summary>The lease owner of this loop's claims.</summary>
    protected string Owner => $"{_owner}:{Route.Name}";

    /// <summary>Before the first pass (e.g. wait for a health probe).</summary>
    protected virtual Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>How the next pass goes: its batch size and the pause after it, or <see cref="RelayPace.Paused"/> to claim nothing for a while.</summary>
    protected abstract RelayPace Pace();

    /// <summary>Called after every pass (metrics, health).</summary>
    protected virtual void OnPass(RelayPass pass)
    {
    }

    /// <summary>
    /// When true, the rows a pass delivered are marked sent by the next pass's claim, in its commit, when the loop goes
    /// straight into it (one commit per pass instead of two); a loop about to wait or stop marks them first. For routes
    /// whose destination takes a row twice harmlessly: a crash between delivery and mark delivers the rows again.
    /// </summary>
    protected virtual bool AcknowledgeWithNextClaim => false;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await StartingAsync(stoppingToken).ConfigureAwait(false);
        try
        {
            await LoopAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            // Stopping: what was delivered is marked now, so a restart does not deliver it again.
            await AcknowledgeAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var pace = Pace();
            if (pace.BatchSize == 0)
            {
                await AcknowledgeAsync(stoppingToken).ConfigureAwait(false);
                await DelayAsync(pace.PauseAfter, stoppingToken).ConfigureAwait(false);
                continue;
            }

            signal?.Reset();
            RelayPass pass;
            try
            {
                pass = await relay.PassAsync(Route, Sink, Owner, pace.BatchSize, null, _unacknowledged, AcknowledgeWithNextClaim, stoppingToken).ConfigureAwait(false);
                _unacknowledged = pass.Unacknowledged;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The marks carried into the failed claim are kept for the next one.
                LogPassFailed(logger, Route.Name, ex);
                pass = new RelayPass(0, 0, 0, 0, ex.Message);
            }

            OnPass(pass);
            if (pass.TransientError is not null || pass.Claimed == 0 || pace.PauseAfter > TimeSpan.Zero)
            {
                // The loop waits next: the marks do not wait with it.
                await AcknowledgeAsync(stoppingToken).ConfigureAwait(false);
            }

            if (pass.TransientError is not null)
            {
                failures++;
                await DelayAsync(Route.Backoff(failures), stoppingToken).ConfigureAwait(false);
                continue;
            }

            failures = 0;
            if (pass.Claimed == 0)
            {
                var poll = DelayAsync(PollInterval, stoppingToken);
                await (signal is null ? poll : Task.WhenAny(signal.WhenNotified(), poll)).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }
            else if (pace.PauseAfter > TimeSpan.Zero)
            {
                await DelayAsync(pace.PauseAfter, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    // Marks the delivered rows whose mark was deferred; a failure keeps them for the next claim (or, at worst, their lease
    // runs out and they are delivered again, which such routes take harmlessly).
    private async Task AcknowledgeAsync(CancellationToken cancellationToken)
    {
        if (_unacknowledged.Count == 0)
        {
            return;
        }

        try
        {
            await relay.AcknowledgeAsync(Route, Owner, _unacknowledged, cancellationToken).ConfigureAwait(false);
            _unacknowledged = [];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPassFailed(logger, Route.Name, ex);
        }
    }

    /// <summary>Waits, returning early (without throwing) when the host stops.</summary>
    protected async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = LogEvents.OutboxRelayWorkerPassFailed, Level = LogLevel.Warning, Message = "{Route}: a relay pass failed")]
    private static partial void LogPassFailed(ILogger logger, string route, Exception exception);
}

/// <summary>How a relay loop's next pass goes.</summary>
/// <param name="BatchSize">Rows to claim; 0 claims nothing (paused).</param>
/// <param name="PauseAfter">The wait after the pass (or, when paused, before looking again).</param>
public readonly record struct RelayPace(int BatchSize, TimeSpan PauseAfter)
{
    /// <summary>Claim nothing; look again after <paramref name="wait"/>.</summary>
    public static RelayPace Paused(TimeSpan wait) => new(0, wait);
}
