using System.Runtime.CompilerServices;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;

namespace Soma.Memory.Cache;

/// <summary>
/// The default recall cache: a size-limited <see cref="MemoryCache"/> in this process (one entry per recall, at most
/// <see cref="RecallCacheOptions.MaxEntries"/>), absolute TTL on the injected <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Invalidation moves the namespace to a generation number never used before in this cache (one counter for all
/// namespaces). So the generation table may forget a namespace at any time — under size pressure or after it sat
/// unused — without ever making an old entry reachable again: a forgotten namespace simply starts at a fresh number.
/// </remarks>
internal sealed class InProcessRecallCache : IRecallCache, IDisposable
{
    private readonly MemoryCache _entries;
    private readonly MemoryCache _generations;
    private readonly TimeSpan _ttl;
    private readonly MissGenerations _missGenerations = new();
    private long _lastGeneration;

    public InProcessRecallCache(IOptions<RecallCacheOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _ttl = value.Ttl;
        var clock = new TimeProviderClock(timeProvider);
        _entries = new MemoryCache(new MemoryCacheOptions { SizeLimit = value.MaxEntries, Clock = clock });
        _generations = new MemoryCache(new MemoryCacheOptions { SizeLimit = value.MaxEntries, Clock = clock });
    }

    public ValueTask<RecallResponse?> GetAsync(RecallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var scope = RecallCacheKey.Scope(request.Tenant, request.Namespace);
        var generation = CurrentGeneration(scope);
        if (_entries.TryGetValue(RecallCacheKey.InProcessEntry(scope, generation, RecallCacheKey.QueryHash(request)), out byte[]? utf8) && utf8 is not null)
        {
            return ValueTask.FromResult<RecallResponse?>(RecallCacheValues.Deserialize(utf8));
        }

        _missGenerations.Remember(request, generation);
        return ValueTask.FromResult<RecallResponse?>(null);
    }

    public ValueTask SetAsync(RecallRequest request, RecallResponse response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        cancellationToken.ThrowIfCancellationRequested();
        var scope = RecallCacheKey.Scope(request.Tenant, request.Namespace);
        var generation = _missGenerations.TryTake(request, out var seen) ? seen : CurrentGeneration(scope);
        _entries.Set(
            RecallCacheKey.InProcessEntry(scope, generation, RecallCacheKey.QueryHash(request)),
            RecallCacheValues.Serialize(response),
            new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });
        return ValueTask.CompletedTask;
    }

    public ValueTask InvalidateAsync(string tenant, string @namespace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(@namespace);
        cancellationToken.ThrowIfCancellationRequested();
        SetGeneration(RecallCacheKey.Scope(tenant, @namespace));
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        _entries.Dispose();
        _generations.Dispose();
    }

    private long CurrentGeneration(string scope) =>
        _generations.TryGetValue(scope, out StrongBox<long>? box) && box is not null ? box.Value : SetGeneration(scope);

    private long SetGeneration(string scope)
    {
        var generation = Interlocked.Increment(ref _lastGeneration);

        // Sliding, twice the TTL: a namespace in use keeps its number; an idle one is forgotten after its entries expired.
        _generations.Set(scope, new StrongBox<long>(generation), new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = _ttl * 2 });
        return generation;
    }
}
