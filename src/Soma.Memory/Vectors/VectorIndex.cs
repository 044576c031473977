using System.Collections.Concurrent;
using Soma.Core.Memory;

namespace Soma.Memory.Vectors;

/// <summary>
/// The memory service's vectors, in memory: one <see cref="VectorSet"/> per (tenant, namespace, model). It is filled
/// from the store by <see cref="VectorIndexSync"/>, which loads every stored vector at start and then reads only those
/// saved since the last sequence it applied, so vectors saved by another process (a second memory service, a reindex)
/// arrive here too.
/// </summary>
public sealed class VectorIndex
{
    private readonly ConcurrentDictionary<(string Tenant, string Namespace), ConcurrentDictionary<string, VectorSet>> _namespaces = new();
    private long _lastSequence;
    private volatile bool _loaded;
    private long _vectors;

    /// <summary>The highest sequence applied.</summary>
    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>Whether the vectors stored at start are all loaded; until then searches by meaning see only part of them.</summary>
    public bool Loaded => _loaded;

    /// <summary>Vectors held, every model counted.</summary>
    public long Count => Interlocked.Read(ref _vectors);

    /// <summary>Applies vectors read from the store, in sequence order.</summary>
    public void Apply(IReadOnlyList<StoredVector> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        foreach (var vector in vectors)
        {
            var models = _namespaces.GetOrAdd((vector.Tenant, vector.Namespace), static _ => new ConcurrentDictionary<string, VectorSet>(StringComparer.Ordinal));
            var set = models.GetOrAdd(vector.Model, static (_, dims) => new VectorSet(dims), vector.Vector.Length);
            var before = set.Count;
            set.Upsert(vector.MemoryId, vector.Key, vector.Vector);
            Interlocked.Add(ref _vectors, set.Count - before);
            if (vector.Sequence > Interlocked.Read(ref _lastSequence))
            {
                Interlocked.Exchange(ref _lastSequence, vector.Sequence);
            }
        }
    }

    /// <summary>Marks the start-up load done.</summary>
    public void MarkLoaded() => _loaded = true;

    /// <summary>How many vectors each model has in a namespace.</summary>
    public IReadOnlyDictionary<string, int> Models(string tenant, string @namespace)
    {
        var models = new Dictionary<string, int>(StringComparer.Ordinal);
        if (_namespaces.TryGetValue((tenant, @namespace), out var sets))
        {
            foreach (var (model, set) in sets)
            {
                models[model] = set.Count;
            }
        }

        return models;
    }

    /// <summary>How many vectors <paramref name="model"/> has in a namespace.</summary>
    public int CountOf(string tenant, string @namespace, string model) =>
        Set(tenant, @namespace, model)?.Count ?? 0;

    /// <summary>The memories of a namespace most similar to <paramref name="query"/> by <paramref name="model"/>'s vectors.</summary>
    internal (IReadOnlyList<VectorHit> Hits, int AboveFloor) Search(string tenant, string @namespace, string model, ReadOnlySpan<float> query, int top, double floor) =>
        Set(tenant, @namespace, model) is { } set ? set.Search(query, top, floor) : ([], 0);

    /// <summary>Those of <paramref name="keys"/> that have no vector by <paramref name="model"/> in the namespace yet.</summary>
    internal IReadOnlySet<string> Missing(string tenant, string @namespace, string model, IEnumerable<string> keys) =>
        Set(tenant, @namespace, model) is { } set ? set.Missing(keys) : keys.ToHashSet(StringComparer.Ordinal);

    private VectorSet? Set(string tenant, string @namespace, string model) =>
        _namespaces.TryGetValue((tenant, @namespace), out var sets) && sets.TryGetValue(model, out var set) ? set : null;
}
