using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Memory.Client;

namespace Soma.Memory.Sync;

/// <summary>
/// Drains the outbox's memory writes, one pass at a time (concurrency 1 per process; several processes share the
/// work through the outbox's leases), paced by the memory service's health: normal → batches of
/// <see cref="MemorySyncOptions.BatchSize"/> as fast as they go; degraded → <see cref="MemorySyncOptions.DegradedBatchSize"/>
/// with a pause between batches; down (probe failing or breaker open) → no writes at all until the probe recovers.
/// Failed passes back off exponentially with decorrelated jitter up to a cap. A write committed in this process
/// wakes it at once; writes of other processes are found by polling.
/// </summary>
public sealed partial class MemorySyncWorker(
    MemoryDispatcher dispatcher, MemoryHealthMonitor monitor, MemorySignal signal, TimeProvider time, IOptions<MemorySyncOptions> options, ILogger<MemorySyncWorker> logger)
    : BackgroundService
{
    private readonly MemorySyncOptions _options = options.Value;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:memory-sync:{Guid.NewGuid():N}";

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Until the monitor's first probe has answered, its mode is only its initial value (normal): a process started
        // during an outage would otherwise send its first batches to a service that is down.
        while (monitor.LastProbe is null && !stoppingToken.IsCancellationRequested)
        {
            await DelayAsync(TimeSpan.FromMilliseconds(50), stoppingToken).ConfigureAwait(false);
        }

        var failures = 0;
        var wasDown = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var mode = monitor.Mode;
            if (mode == MemoryMode.Down)
            {
                if (!wasDown)
                {
                    LogPaused(logger);
                    wasDown = true;
                }

                // Probes only: nothing is claimed, so nothing is attempted, until the monitor sees the service again.
                await DelayAsync(TimeSpan.FromMilliseconds(250), stoppingToken).ConfigureAwait(false);
                continue;
            }

            if (wasDown)
            {
                LogResumed(logger, mode);
                wasDown = false;
            }

            signal.Reset();
            DeliveryPass pass;
            try
            {
                pass = await dispatcher.DeliverAsync(_owner, mode == MemoryMode.Normal ? _options.BatchSize : _options.DegradedBatchSize, null, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(logger, ex);
                pass = new DeliveryPass(0, 0, 0, 0, ex.Message);
            }

            if (pass.TransientError is not null)
            {
                failures++;
                await DelayAsync(Backoff.Delay(failures, _options.BackoffBaseMilliseconds, _options.BackoffMaxSeconds), stoppingToken).ConfigureAwait(false);
                continue;
            }

            failures = 0;
            if (pass.Claimed == 0)
            {
                await Task.WhenAny(signal.WhenNotified(), DelayAsync(TimeSpan.FromMilliseconds(_options.PollMilliseconds), stoppingToken)).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }
            else if (mode == MemoryMode.Degraded && _options.DegradedPauseMilliseconds > 0)
            {
                await DelayAsync(TimeSpan.FromMilliseconds(_options.DegradedPauseMilliseconds), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
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

    [LoggerMessage(EventId = 5121, Level = LogLevel.Warning, Message = "Memory service down: memory writes wait in the outbox until it is back")]
    private static partial void LogPaused(ILogger logger);

    [LoggerMessage(EventId = 5122, Level = LogLevel.Information, Message = "Memory service back ({Mode}): draining the outbox")]
    private static partial void LogResumed(ILogger logger, MemoryMode mode);

    [LoggerMessage(EventId = 5123, Level = LogLevel.Warning, Message = "A memory delivery pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
