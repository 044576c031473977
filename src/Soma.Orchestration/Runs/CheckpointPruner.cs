using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Runs;
using Soma.Core.Storage;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Applies the checkpoint retention of the worker role: of each ended run, keep the newest
/// <see cref="OrchestrationOptions.CheckpointKeepLast"/> checkpoints, and only the newest once the run ended
/// <see cref="OrchestrationOptions.CheckpointRetentionHours"/> ago. Live runs are never pruned.
/// </summary>
public sealed partial class CheckpointPruner(ICheckpointStore checkpoints, TimeProvider time, IOptions<OrchestrationOptions> options, ILogger<CheckpointPruner> logger)
    : BackgroundService
{
    /// <summary>Prunes once; returns how many checkpoints were deleted.</summary>
    public Task<int> PruneOnceAsync(CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        return checkpoints.PruneAsync(settings.CheckpointKeepLast, time.GetUtcNow().AddHours(-settings.CheckpointRetentionHours), cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.PruneIntervalSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var deleted = await PruneOnceAsync(stoppingToken).ConfigureAwait(false);
                if (deleted > 0)
                {
                    Log.Pruned(logger, deleted);
                }
            }
            catch (StoreException ex)
            {
                Log.PruneFailed(logger, ex.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.CheckpointPrunerPruned, Level = LogLevel.Information, Message = "Pruned {Count} checkpoints of ended runs")]
        public static partial void Pruned(ILogger logger, int count);

        [LoggerMessage(EventId = LogEvents.CheckpointPrunerPruneFailed, Level = LogLevel.Warning, Message = "Could not prune checkpoints: {Reason}")]
        public static partial void PruneFailed(ILogger logger, string reason);
    }
}
