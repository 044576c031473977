using System.Diagnostics.Metrics;
using Soma.Core.Memory;
using Soma.Core.Telemetry;

namespace Soma.Memory.Cache;

/// <summary>
/// Recall through the cache: a hit answers at once (<c>Cached = true</c>); a miss asks the memory backend, keeps the
/// answer unless it is degraded, and returns it with <c>Cached = false</c>. Backend exceptions propagate — the caller
/// decides what a turn does when memory is down; cache failures never do (the cache answers a miss).
/// </summary>
/// <remarks>
/// Metrics on the <c>Soma.Memory</c> meter: <c>soma.memory.recall.duration</c> (ms, tag <c>cached</c>),
/// <c>soma.memory.recall.cache_hits</c> and <c>soma.memory.recall.cache_misses</c> (hit ratio = hits / (hits + misses)).
/// </remarks>
public sealed class MemoryRecaller
{
    /// <summary>The meter name of the recall and cache metrics.</summary>
    public const string MeterName = SomaMeters.Memory;

    private static readonly KeyValuePair<string, object?> CachedTag = new("cached", "true");
    private static readonly KeyValuePair<string, object?> NotCachedTag = new("cached", "false");

    private readonly IRecallCache _cache;
    private readonly IMemoryBackend _backend;
    private readonly TimeProvider _timeProvider;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;

    /// <summary>Creates the recaller and registers its instruments on <paramref name="meterFactory"/>.</summary>
    public MemoryRecaller(IRecallCache cache, IMemoryBackend backend, TimeProvider timeProvider, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _cache = cache;
        _backend = backend;
        _timeProvider = timeProvider;
        var meter = meterFactory.Create(MeterName);
        _duration = SomaMeters.MemoryRecallDuration.CreateHistogram<double>(meter);
        _hits = SomaMeters.MemoryRecallCacheHits.CreateCounter<long>(meter);
        _misses = SomaMeters.MemoryRecallCacheMisses.CreateCounter<long>(meter);
    }

    /// <summary>Answers <paramref name="request"/> from the cache, or from the memory backend on a miss.</summary>
    /// <exception cref="MemoryBackendException">The backend failed on a miss.</exception>
    public async Task<RecallResponse> RecallAsync(RecallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = _timeProvider.GetTimestamp();
        if (await _cache.GetAsync(request, cancellationToken).ConfigureAwait(false) is { } cached)
        {
            _hits.Add(1);
            _duration.Record(_timeProvider.GetElapsedTime(started).TotalMilliseconds, CachedTag);
            return cached with { Cached = true };
        }

        _misses.Add(1);
        var response = await _backend.RecallAsync(request, cancellationToken).ConfigureAwait(false);

        // A degraded answer is partial: caching it would keep serving the gap after the service recovers.
        if (!response.Degraded)
        {
            await _cache.SetAsync(request, response, cancellationToken).ConfigureAwait(false);
        }

        _duration.Record(_timeProvider.GetElapsedTime(started).TotalMilliseconds, NotCachedTag);
        return response with { Cached = false };
    }

    /// <summary>Forgets the cached recalls of a namespace; call it after every write to that namespace.</summary>
    public async Task InvalidateAsync(string tenant, string @namespace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(@namespace);
        await _cache.InvalidateAsync(tenant, @namespace, cancellationToken).ConfigureAwait(false);
    }
}
