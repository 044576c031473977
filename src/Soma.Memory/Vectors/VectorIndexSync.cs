using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Core.Telemetry;

namespace Soma.Memory.Vectors;

/// <summary>
/// Keeps the <see cref="VectorIndex"/> in step with the store: loads every stored vector at start, then reads the
/// vectors saved since the last sequence it applied, every <see cref="VectorOptions.IndexPollMilliseconds"/> and at
/// once when this process saved some (<see cref="VectorIndexSignal"/>). Publishes <c>soma.memory.vectors.indexed</c>.
/// </summary>
public sealed partial class VectorIndexSync(
    IMemoryVectorStore store,
    VectorIndex index,
    VectorIndexSignal signal,
    TimeProvider time,
    IOptions<VectorOptions> options,
    IMeterFactory meterFactory,
    ILogger<VectorIndexSync> logger)
    : BackgroundService
{
    private const int PageSize = 2000;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ObservableGauge<double> _indexed =
        SomaMeters.MemoryVectorsIndexed.CreateObservableGauge(meterFactory.Create(MemoryMetrics.MeterName), () => (double)index.Count);

    /// <summary>
    /// Reads and applies every vector saved so far (the start-up load too, when it has not finished). When it returns,
    /// every vector whose save completed before the call is searchable.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var page = await store.ReadVectorsAsync(index.LastSequence, PageSize, cancellationToken).ConfigureAwait(false);
                index.Apply(page);
                if (page.Count < PageSize)
                {
                    break;
                }
            }

            if (!index.Loaded)
            {
                index.MarkLoaded();
                LogLoaded(logger, index.Count);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(options.Value.IndexPollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            signal.Reset();
            try
            {
                await CatchUpAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The index keeps what it has; searches by meaning go on over it until the store answers again.
                LogReadFailed(logger, ex);
            }

            try
            {
                await Task.WhenAny(signal.WhenNotified(), Task.Delay(poll, time, stoppingToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = LogEvents.VectorIndexSyncReadFailed, Level = LogLevel.Warning, Message = "Reading stored vectors failed; recall by meaning uses the vectors already loaded")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = LogEvents.VectorIndexSyncLoaded, Level = LogLevel.Information, Message = "Vector index loaded: {Count} vectors")]
    private static partial void LogLoaded(ILogger logger, long count);
}
