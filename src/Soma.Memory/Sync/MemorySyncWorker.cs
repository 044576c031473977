using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Outbox;
using Soma.Memory.Client;

namespace Soma.Memory.Sync;

/// <summary>
/// Drains the outbox's memory writes: the generic relay loop (<see cref="OutboxRelayWorker"/>, concurrency 1 per process;
/// several processes share the work through the outbox's leases) over the <see cref="MemoryDispatcher"/>, paced by the
/// memory service's health: normal → batches of <see cref="MemorySyncOptions.BatchSize"/> as fast as they go; degraded →
/// <see cref="MemorySyncOptions.DegradedBatchSize"/> with a pause between batches; down (probe failing or breaker open)
/// → no writes at all until the probe recovers. A write committed in this process wakes it at once.
/// </summary>
public sealed partial class MemorySyncWorker(
    OutboxRelay relay, MemoryDispatcher dispatcher, MemoryHealthMonitor monitor, MemorySignal signal, TimeProvider time, IOptions<MemorySyncOptions> options, ILogger<MemorySyncWorker> logger)
    : OutboxRelayWorker(relay, signal, time, logger)
{
    private static readonly TimeSpan DownPause = TimeSpan.FromMilliseconds(250);
    private readonly MemorySyncOptions _options = options.Value;
    private bool _wasDown;

    /// <inheritdoc />
    protected override OutboxRoute Route => dispatcher.Route;

    /// <inheritdoc />
    protected override IOutboxSink Sink => dispatcher;

    /// <inheritdoc />
    /// <remarks>Memory writes are upserts by key: one delivered twice after a crash is stored once.</remarks>
    protected override bool AcknowledgeWithNextClaim => true;

    /// <inheritdoc />
    protected override TimeSpan PollInterval => TimeSpan.FromMilliseconds(_options.PollMilliseconds);

    /// <inheritdoc />
    protected override async Task StartingAsync(CancellationToken cancellationToken)
    {
        // Until the monitor's first probe has answered, its mode is only its initial value (normal): a process started
        // during an outage would otherwise send its first batches to a service that is down.
        while (monitor.LastProbe is null && !cancellationToken.IsCancellationRequested)
        {
            await DelayAsync(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override RelayPace Pace()
    {
        var mode = monitor.Mode;
        if (mode == MemoryMode.Down)
        {
            if (!_wasDown)
            {
                LogPaused(logger);
                _wasDown = true;
            }

            // Probes only: nothing is claimed, so nothing is attempted, until the monitor sees the service again.
            return RelayPace.Paused(DownPause);
        }

        if (_wasDown)
        {
            LogResumed(logger, mode);
            _wasDown = false;
        }

        return mode == MemoryMode.Normal
            ? new RelayPace(_options.BatchSize, TimeSpan.Zero)
            : new RelayPace(_options.DegradedBatchSize, TimeSpan.FromMilliseconds(_options.DegradedPauseMilliseconds));
    }

    [LoggerMessage(EventId = LogEvents.MemorySyncWorkerPaused, Level = LogLevel.Warning, Message = "Memory service down: memory writes wait in the outbox until it is back")]
    private static partial void LogPaused(ILogger logger);

    [LoggerMessage(EventId = LogEvents.MemorySyncWorkerResumed, Level = LogLevel.Information, Message = "Memory service back ({Mode}): draining the outbox")]
    private static partial void LogResumed(ILogger logger, MemoryMode mode);
}
