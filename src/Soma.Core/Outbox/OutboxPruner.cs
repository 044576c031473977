using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Storage;

namespace Soma.Core.Outbox;

/// <summary>
/// Deletes sent outbox rows older than <see cref="OutboxOptions.RetentionHours"/>, every
/// <see cref="OutboxOptions.PruneIntervalMinutes"/>, in batches of <see cref="BatchSize"/> so that no transaction holds
/// the store for long. Pending and dead-lettered rows are never touched.
/// </summary>
public sealed partial class OutboxPruner(IOutbox outbox, TimeProvider time, IOptions<OutboxOptions> options, ILogger<OutboxPruner> logger) : BackgroundService
{
    /// <summary>Rows deleted per transaction.</summary>
    public const int BatchSize = 500;

    private readonly OutboxOptions _options = options.Value;

    /// <summary>Deletes every sent row past its retention, a batch at a time; returns how many.</summary>
    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        if (_options.RetentionHours == 0)
        {
            return 0;
        }

        var before = time.GetUtcNow() - TimeSpan.FromHours(_options.RetentionHours);
        long total = 0;
        int deleted;
        do
        {
            deleted = await outbox.PruneSentAsync(before, BatchSize, cancellationToken).ConfigureAwait(false);
            total += deleted;
            await Task.Yield();
        }
        while (deleted == BatchSize && !cancellationToken.IsCancellationRequested);

        return total;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(_options.PruneIntervalMinutes), time);
        do
        {
            try
            {
                var pruned = await PruneAsync(stoppingToken).ConfigureAwait(false);
                if (pruned > 0)
                {
                    LogPruned(logger, pruned, _options.RetentionHours);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPruneFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = LogEvents.OutboxPrunerPruned, Level = LogLevel.Information, Message = "Pruned {Count} sent outbox rows older than {Hours} h")]
    private static partial void LogPruned(ILogger logger, long count, int hours);

    [LoggerMessage(EventId = LogEvents.OutboxPrunerPruneFailed, Level = LogLevel.Warning, Message = "Pruning sent outbox rows failed; trying again at the next interval")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
