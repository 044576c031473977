using System.Numerics.Tensors;

namespace Soma.Memory.Vectors;

/// <summary>
/// The vectors of one tenant's namespace made by one model, in blocks of contiguous floats so a search is a straight
/// SIMD scan, each also kept as bytes (<see cref="Int8Vectors"/>): a search scans the bytes and orders its best few by
/// their floats. A memory re-embedded replaces its vector in place. Searches share a read lock; a write waits for them.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A set lives as long as the process's vector index; its lock is never released early.")]
internal sealed class VectorSet(int dimensions)
{
    // 1,024 vectors of 384 floats is 1.5 MB a block: big enough to scan without per-vector overhead, small enough that
    // growth never copies what is there.
    private const int BlockSize = 1024;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    // How many of the best by bytes are ordered by their floats, per result asked for (at least MinRescored): the bytes'
    // cosine is within about 0.002 of the floats', far less than the gap between the 4 × top-th memory and the top-th.
    private const int RescoreFactor = 4;
    private const int MinRescored = 64;

    // Memories whose bytes' similarity falls this far below the floor may still reach it by their floats.
    private const float FloorTolerance = 0.01f;

    private readonly List<float[]> _blocks = [];
    private readonly List<sbyte[]> _codes = [];
    private readonly List<float[]> _scales = [];
    private readonly List<string> _keys = [];
    private readonly Dictionary<long, int> _slots = [];
    private readonly HashSet<string> _keySet = new(StringComparer.Ordinal);

    /// <summary>The vector length.</summary>
    public int Dimensions { get; } = dimensions;

    /// <summary>How many memories have a vector here.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _keys.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Adds the memory's vector, or replaces the one it had.</summary>
    public void Upsert(long memoryId, string key, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions)
        {
            return;
        }

        _lock.EnterWriteLock();
        try
        {
            if (!_slots.TryGetValue(memoryId, out var slot))
            {
                slot = _keys.Count;
                if (slot % BlockSize == 0)
                {
                    _blocks.Add(new float[BlockSize * Dimensions]);
                    _codes.Add(new sbyte[BlockSize * Dimensions]);
                    _scales.Add(new float[BlockSize]);
                }

                _keys.Add(key);
                _keySet.Add(key);
                _slots[memoryId] = slot;
            }

            var (block, offset) = (slot / BlockSize, slot % BlockSize);
            vector.CopyTo(_blocks[block].AsSpan(offset * Dimensions, Dimensions));
            _scales[block][offset] = Int8Vectors.Quantize(vector, _codes[block].AsSpan(offset * Dimensions, Dimensions));
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Those of <paramref name="keys"/> that have no vector here (not embedded yet).</summary>
    public IReadOnlySet<string> Missing(IEnumerable<string> keys)
    {
        var missing = new HashSet<string>(StringComparer.Ordinal);
        _lock.EnterReadLock();
        try
        {
            foreach (var key in keys)
            {
                if (!_keySet.Contains(key))
                {
                    missing.Add(key);
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return missing;
    }

    /// <summary>
    /// The <paramref name="top"/> memories most similar to <paramref name="query"/> (unit length) with a similarity of at
    /// least <paramref name="floor"/>, best first, and how many reach the floor in all.
    /// </summary>
    public (IReadOnlyList<VectorHit> Hits, int AboveFloor) Search(ReadOnlySpan<float> query, int top, double floor)
    {
        if (query.Length != Dimensions || top <= 0)
        {
            return ([], 0);
        }

        // The query as bytes; a memory's similarity by bytes is codes · codes × both scales.
        var queryCodes = new sbyte[Dimensions];
        var queryScale = Int8Vectors.Quantize(query, queryCodes);
        var rescored = Math.Max(top * RescoreFactor, MinRescored);
        var candidates = new PriorityQueue<int, float>(rescored + 1);
        var aboveFloor = 0;
        var threshold = (float)floor;
        var loose = threshold - FloorTolerance;
        _lock.EnterReadLock();
        try
        {
            var count = _keys.Count;
            for (var b = 0; b < _codes.Count; b++)
            {
                var codes = _codes[b];
                var scales = _scales[b];
                var inBlock = Math.Min(BlockSize, count - (b * BlockSize));
                for (var i = 0; i < inBlock; i++)
                {
                    var similarity = Int8Vectors.Dot(new ReadOnlySpan<sbyte>(codes, i * Dimensions, Dimensions), queryCodes) * queryScale * scales[i];
                    if (similarity < loose)
                    {
                        continue;
                    }

                    if (similarity >= threshold)
                    {
                        aboveFloor++;
                    }

                    var slot = (b * BlockSize) + i;
                    if (candidates.Count < rescored)
                    {
                        candidates.Enqueue(slot, similarity);
                    }
                    else if (candidates.TryPeek(out _, out var worst) && similarity > worst)
                    {
                        candidates.DequeueEnqueue(slot, similarity);
                    }
                }
            }

            // The best by bytes, ordered by their exact floats; those below the floor by their floats are left out.
            var hits = new List<VectorHit>(candidates.Count);
            while (candidates.TryDequeue(out var slot, out _))
            {
                var exact = TensorPrimitives.Dot(new ReadOnlySpan<float>(_blocks[slot / BlockSize], slot % BlockSize * Dimensions, Dimensions), query);
                if (exact >= threshold)
                {
                    hits.Add(new VectorHit(_keys[slot], exact));
                }
            }

            hits.Sort(static (x, y) => y.Similarity != x.Similarity ? y.Similarity.CompareTo(x.Similarity) : string.CompareOrdinal(x.Key, y.Key));
            return (hits.Count > top ? hits[..top] : hits, Math.Max(aboveFloor, hits.Count));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}

/// <summary>A memory found by meaning.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Similarity">The cosine similarity to the query.</param>
internal readonly record struct VectorHit(string Key, float Similarity);
