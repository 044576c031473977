using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Core.Telemetry;

namespace Soma.Memory.Vectors;

/// <summary>
/// The background pass that gives memories their vectors: leases queued memories (every memory write queues its
/// memory in the write's transaction), embeds them as documents with the configured model, and saves the vectors.
/// A failed or slow embedding only delays vectors: the memories stay queued, are due again after a backoff that doubles
/// per attempt, and stay searchable by words meanwhile. Several processes share the queue through its leases. At start it
/// queues every memory without a current vector of the configured model, so a model change fills itself in.
/// Publishes <c>soma.memory.vectors.pending</c>.
/// </summary>
public sealed partial class EmbeddingWorker : BackgroundService
{
    private static readonly TimeSpan PendingRefresh = TimeSpan.FromSeconds(5);

    private readonly IMemoryVectorStore _store;
    private readonly IEmbedder _embedder;
    private readonly EmbeddingSignal _signal;
    private readonly VectorIndexSignal _indexSignal;
    private readonly TimeProvider _time;
    private readonly VectorOptions _options;
    private readonly ILogger<EmbeddingWorker> _logger;
    private readonly Counter<long> _embedded;
    private readonly Counter<long> _failed;
    private long _pending;
    private long _pendingReadAt = long.MinValue;
    private int _consecutiveFailures;

    /// <summary>Creates the worker and registers its instruments.</summary>
    public EmbeddingWorker(
        IMemoryVectorStore store,
        IEmbedder embedder,
        EmbeddingSignal signal,
        VectorIndexSignal indexSignal,
        TimeProvider time,
        IOptions<VectorOptions> options,
        IMeterFactory meterFactory,
        ILogger<EmbeddingWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _store = store;
        _embedder = embedder;
        _signal = signal;
        _indexSignal = indexSignal;
        _time = time;
        _options = options.Value;
        _logger = logger;
        var meter = meterFactory.Create(MemoryMetrics.MeterName);
        SomaMeters.MemoryVectorsPending.CreateObservableGauge(meter, () => (double)Interlocked.Read(ref _pending));
        _embedded = SomaMeters.MemoryVectorsEmbedded.CreateCounter<long>(meter);
        _failed = SomaMeters.MemoryVectorsFailed.CreateCounter<long>(meter);
    }

    /// <summary>Memories still without a current vector, as last read from the store.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>
    /// One pass: leases up to a batch of due memories, embeds and saves them. Returns how many were leased (0: nothing
    /// due). Embedding failures are handled (the memories are retried later); store failures throw.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var leased = await _store.LeasePendingAsync(_options.BatchSize, TimeSpan.FromSeconds(_options.LeaseSeconds), now, cancellationToken).ConfigureAwait(false);
        if (leased.Count == 0)
        {
            _consecutiveFailures = 0;
            return 0;
        }

        IReadOnlyList<float[]> vectors;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.EmbedTimeoutSeconds));
            try
            {
                vectors = await _embedder.EmbedAsync([.. leased.Select(p => p.Text)], EmbeddingPurpose.Document, timeout.Token).ConfigureAwait(false);
                if (vectors.Count != leased.Count)
                {
                    throw new EmbeddingException($"The embedder answered {vectors.Count} vectors for {leased.Count} texts.", isTransient: true);
                }
            }
            catch (Exception ex) when (ex is EmbeddingException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                _consecutiveFailures++;
                _failed.Add(leased.Count, new KeyValuePair<string, object?>("model", _embedder.Model));
                var attempts = leased.Min(p => p.Attempts);
                var retryAt = _time.GetUtcNow() + Backoff(attempts + 1);
                LogBatchFailed(_logger, leased.Count, _embedder.Model, retryAt, ex);
                await _store.RetryLaterAsync([.. leased.Select(p => p.MemoryId)], retryAt, cancellationToken).ConfigureAwait(false);
                return leased.Count;
            }
        }

        var saved = new MemoryVector[leased.Count];
        for (var i = 0; i < leased.Count; i++)
        {
            saved[i] = new MemoryVector(leased[i].MemoryId, leased[i].Version, _embedder.Model, vectors[i]);
        }

        await _store.SaveAsync(saved, _time.GetUtcNow(), dequeue: true, cancellationToken).ConfigureAwait(false);
        _consecutiveFailures = 0;
        _embedded.Add(leased.Count, new KeyValuePair<string, object?>("model", _embedder.Model));
        _indexSignal.Notify();
        return leased.Count;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await EnqueueMissingAsync(stoppingToken).ConfigureAwait(false);
        var poll = TimeSpan.FromMilliseconds(_options.PollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            _signal.Reset();
            var leased = 0;
            try
            {
                leased = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                await RefreshPendingAsync(leased == 0, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _consecutiveFailures++;
                LogStoreFailed(_logger, ex);
            }

            // Busy: straight on. Failing: pause as long as the backoff, so an embedder that is down is not hammered.
            // Idle: until a write here or the next poll.
            var wait = _consecutiveFailures > 0 ? Backoff(_consecutiveFailures) : leased > 0 ? TimeSpan.Zero : poll;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    var delay = Task.Delay(wait, _time, stoppingToken);
                    await (_consecutiveFailures > 0 ? delay : Task.WhenAny(_signal.WhenNotified(), delay)).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task EnqueueMissingAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var queued = await _store.EnqueueMissingAsync(_embedder.Model, _time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
                if (queued > 0)
                {
                    LogEnqueuedMissing(_logger, queued, _embedder.Model);
                }

                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogStoreFailed(_logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RefreshPendingAsync(bool idle, CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        if (idle || _pendingReadAt == long.MinValue || _time.GetElapsedTime(_pendingReadAt, now) >= PendingRefresh)
        {
            Interlocked.Exchange(ref _pending, await _store.CountPendingAsync(cancellationToken).ConfigureAwait(false));
            _pendingReadAt = now;
        }
    }

    private TimeSpan Backoff(int attempts)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var milliseconds = _options.BackoffBaseMilliseconds * Math.Pow(2, exponent);
        return TimeSpan.FromMilliseconds(Math.Min(milliseconds, _options.BackoffMaxSeconds * 1000.0));
    }

    [LoggerMessage(EventId = LogEvents.EmbeddingWorkerEnqueuedMissing, Level = LogLevel.Information, Message = "Queued {Count} memories without a current {Model} vector")]
    private static partial void LogEnqueuedMissing(ILogger logger, long count, string model);

    [LoggerMessage(EventId = LogEvents.EmbeddingWorkerBatchFailed, Level = LogLevel.Warning, Message = "Embedding {Count} memories with {Model} failed; they stay searchable by words and are retried at {RetryAt:o}")]
    private static partial void LogBatchFailed(ILogger logger, int count, string model, DateTimeOffset retryAt, Exception exception);

    [LoggerMessage(EventId = LogEvents.EmbeddingWorkerStoreFailed, Level = LogLevel.Warning, Message = "The embedding pass could not read or save vectors; it tries again")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
