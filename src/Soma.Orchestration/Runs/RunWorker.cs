using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Contracts.Identity;
using Soma.Core.Runs;
using Soma.Core.Storage;

namespace Soma.Orchestration.Runs;

/// <summary>
/// The worker role: leases runnable runs (up to <see cref="OrchestrationOptions.MaxConcurrentRuns"/> at once) and
/// executes them. A run whose worker died is taken over here once its lease expires.
/// </summary>
public sealed partial class RunWorker(IRunStore runs, RunExecutor executor, TimeProvider time, IOptions<OrchestrationOptions> options, ILogger<RunWorker> logger, RunSignal? signal = null,
    Core.Signals.IWakeBus? wakeBus = null)
    : BackgroundService
{
    /// <summary>This worker's id, as stored in the leases it holds.</summary>
    public string WorkerId { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{InstanceName.New()}";

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var running = new HashSet<Task>();
        var lease = TimeSpan.FromSeconds(settings.LeaseSeconds);

        // Runs accepted in other processes (a gateway elsewhere) wake this worker too, where the bus carries wake-ups.
        using var woken = signal is not null && wakeBus is not null ? wakeBus.Subscribe(RunService.WakeTopic, signal.Notify) : null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                running.RemoveWhere(t => t.IsCompleted);
                signal?.Reset();
                var free = settings.MaxConcurrentRuns - running.Count;
                if (free > 0)
                {
                    var leased = await runs.AcquireAsync(new RunLeaseRequest(WorkerId, free, lease), stoppingToken).ConfigureAwait(false);
                    foreach (var run in leased)
                    {
                        running.Add(Task.Run(() => executor.ExecuteAsync(run, WorkerId, stoppingToken), CancellationToken.None));
                    }

                    if (leased.Count > 0)
                    {
                        continue;
                    }
                }

                // A run accepted in this process (or announced on the wake bus) wakes the worker at once; others are found by the poll.
                var poll = Task.Delay(TimeSpan.FromMilliseconds(settings.PollMilliseconds), time, stoppingToken);
                var waits = running.Append(poll);
                if (signal is not null)
                {
                    waits = waits.Append(signal.WhenNotified());
                }

                await Task.WhenAny(waits).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (StoreException ex)
            {
                Log.AcquireFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RunWorkerAcquireFailed, Level = LogLevel.Warning, Message = "Could not lease runs: {Reason}")]
        public static partial void AcquireFailed(ILogger logger, string reason);
    }
}
