using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Contracts.Identity;
using Soma.Core.Runs;
using Soma.Core.Storage;

namespace Soma.Orchestration.Runs;

/// <summary>
/// The worker role: leases runnable runs (up to <see cref="OrchestrationOptions.MaxConcurrentRuns"/> at once) and
/// executes them. A run whose worker died is taken over here once its lease expires. Runs accepted in this process
/// while a slot is free come leased already, through <see cref="RunHandOff"/>.
/// </summary>
public sealed partial class RunWorker(IRunStore runs, RunExecutor executor, TimeProvider time, IOptions<OrchestrationOptions> options, ILogger<RunWorker> logger, RunSignal? signal = null,
    Core.Signals.IWakeBus? wakeBus = null, RunHandOff? handOff = null)
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
        var slots = handOff ?? new RunHandOff();
        slots.Open(WorkerId, lease, settings.MaxConcurrentRuns);

        // Executes a run holding one slot, and gives the slot back when the run stops here.
        Task Execute(RunRecord run) => Task.Run(
            async () =>
            {
                try
                {
                    await executor.ExecuteAsync(run, WorkerId, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None);

        // Runs accepted in other processes (a gateway elsewhere) wake this worker too, where the bus carries wake-ups.
        using var woken = signal is not null && wakeBus is not null ? wakeBus.Subscribe(RunService.WakeTopic, signal.Notify) : null;
        try
        {
            // The store is asked for runs at the start, after a poll, a wake-up (a run accepted unleased, here or
            // elsewhere), a run's end (a slot came free for runs left waiting) or a lease that found runs: not when
            // the wake-up was only a run handed over, which needs no query.
            var acquire = true;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    acquire |= running.RemoveWhere(t => t.IsCompleted) > 0 || signal?.WhenNotified().IsCompleted == true;
                    signal?.Reset();
                    slots.ResetArrivals();
                    while (slots.TryTake(out var handed))
                    {
                        running.Add(Execute(handed));
                    }

                    var free = acquire ? slots.ReserveUpTo(settings.MaxConcurrentRuns) : 0;
                    acquire = false;
                    if (free > 0)
                    {
                        // Each leased run keeps one of the slots taken here; the rest go back.
                        IReadOnlyList<RunRecord> leased = [];
                        try
                        {
                            leased = await runs.AcquireAsync(new RunLeaseRequest(WorkerId, free, lease), stoppingToken).ConfigureAwait(false);
                        }
                        finally
                        {
                            slots.Release(free - leased.Count);
                        }

                        foreach (var run in leased)
                        {
                            running.Add(Execute(run));
                        }

                        if (leased.Count > 0)
                        {
                            acquire = true;
                            continue;
                        }
                    }

                    // A run accepted in this process (or announced on the wake bus) wakes the worker at once; others are found by the poll.
                    var poll = Task.Delay(TimeSpan.FromMilliseconds(settings.PollMilliseconds), time, stoppingToken);
                    var waits = running.Append(poll).Append(slots.WhenArrived());
                    if (signal is not null)
                    {
                        waits = waits.Append(signal.WhenNotified());
                    }

                    acquire = await Task.WhenAny(waits).ConfigureAwait(false) == poll;
                    stoppingToken.ThrowIfCancellationRequested();
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (StoreException ex)
                {
                    Log.AcquireFailed(logger, ex.Message);
                    acquire = true;
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            slots.Close();
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RunWorkerAcquireFailed, Level = LogLevel.Warning, Message = "Could not lease runs: {Reason}")]
        public static partial void AcquireFailed(ILogger logger, string reason);
    }
}
