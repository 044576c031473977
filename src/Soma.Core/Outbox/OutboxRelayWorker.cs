using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

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

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await StartingAsync(stoppingToken).ConfigureAwait(false);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var pace = Pace();
            if (pace.BatchSize == 0)
            {
                await DelayAsync(pace.PauseAfter, stoppingToken).ConfigureAwait(false);
                continue;
            }

            signal?.Reset();
            RelayPass pass;
            try
            {
                pass = await relay.PassAsync(Route, Sink, Owner, pace.BatchSize, null, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(logger, Route.Name, ex);
                pass = new RelayPass(0, 0, 0, 0, ex.Message);
            }

            OnPass(pass);
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
