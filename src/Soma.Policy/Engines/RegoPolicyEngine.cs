using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Soma.Core.Policy;
using Soma.Policy.Bundles;
using Soma.Policy.Hosting;
using Soma.Policy.Rego;
using Soma.Policy.Rego.Evaluation;

namespace Soma.Policy.Engines;

/// <summary>
/// The embedded engine (<c>rego</c>): evaluates the loaded bundle in-process. The bundle is swapped atomically by
/// <see cref="PolicyReloader"/>; a decision reads one bundle from start to end. Fails closed: no bundle, an evaluation
/// error or a decision slower than <see cref="PolicyOptions.TimeoutMilliseconds"/> is a deny with its reason code.
/// </summary>
public sealed class RegoPolicyEngine(IOptions<PolicyOptions> options) : IPolicyEngine
{
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(options.Value.TimeoutMilliseconds);
    private readonly int _cacheCapacity = options.Value.DecisionCacheEntries;
    private volatile Loaded? _loaded;

    /// <inheritdoc />
    public string Name => "rego";

    /// <summary>The bundle deciding now, or null before the first load.</summary>
    public PolicyBundle? Bundle => _loaded?.Bundle;

    /// <summary>Makes <paramref name="bundle"/> the one that decides (atomic: decisions in flight finish on the old one).</summary>
    public void Swap(PolicyBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        _loaded = new Loaded(bundle, _cacheCapacity);
    }

    /// <inheritdoc />
    public ValueTask<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var started = Stopwatch.GetTimestamp();
        var loaded = _loaded;
        if (loaded is null)
        {
            return ValueTask.FromResult(PolicyDecision.Deny(PolicyReasons.NotLoaded, "none", Name, TimeSpan.Zero));
        }

        var version = loaded.Bundle.Version;
        try
        {
            var query = loaded.Queries.GetOrAdd(input.Query, static (q, loaded) => new Query(loaded.Bundle.Policy.Prepare(q), loaded.CacheCapacity), loaded);
            if (query.Cache?.Find(input) is { } known)
            {
                return ValueTask.FromResult(known with { Duration = Stopwatch.GetElapsedTime(started), Cached = true });
            }

            var document = PolicyInputValue.From(input);
            var reads = query.Cache is null ? null : new InputReads();
            var value = query.Prepared.Evaluate(document, new EvaluationOptions { Now = input.Now, CancellationToken = cancellationToken, Timeout = _timeout, Reads = reads });
            var decision = DecisionValue.Read(value, version, Name, Stopwatch.GetElapsedTime(started));
            if (reads is not null)
            {
                query.Cache!.Add(document, reads, decision);
            }

            return ValueTask.FromResult(decision);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            // The evaluation's own deadline (EvaluationOptions.Timeout): no timer per decision.
            return ValueTask.FromResult(PolicyDecision.Deny(PolicyReasons.Timeout, version, Name, Stopwatch.GetElapsedTime(started)));
        }
        catch (RegoException ex)
        {
            return ValueTask.FromResult(PolicyDecision.Deny(PolicyReasons.Error, version, Name, Stopwatch.GetElapsedTime(started)) with
            {
                Reasons = [PolicyReasons.Error, Truncate(ex.Message)],
            });
        }
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";

    /// <summary>How many entries the decision cache of <paramref name="query"/> holds now (0 when it is off or empty).</summary>
    internal int CachedEntries(string query) => _loaded?.Queries.TryGetValue(query, out var prepared) == true ? prepared.Cache?.Count ?? 0 : 0;

    private sealed class Loaded(PolicyBundle bundle, int cacheCapacity)
    {
        public PolicyBundle Bundle { get; } = bundle;

        public int CacheCapacity { get; } = cacheCapacity;

        public ConcurrentDictionary<string, Query> Queries { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A query prepared on the bundle, with its decisions kept (<see cref="DecisionCache"/>) unless the cache is off.</summary>
    private sealed class Query(PreparedQuery prepared, int cacheCapacity)
    {
        public PreparedQuery Prepared { get; } = prepared;

        public DecisionCache? Cache { get; } = cacheCapacity > 0 ? new DecisionCache(cacheCapacity) : null;
    }
}
