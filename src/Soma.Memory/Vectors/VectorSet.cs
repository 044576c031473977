using System.Numerics.Tensors;

namespace Soma.Memory.Vectors;

/// <summary>
/// The vectors of one tenant's namespace made by one model, in blocks of contiguous floats so a search is a straight
/// SIMD scan. A memory re-embedded replaces its vector in place. Searches share a read lock; a write waits for them.
/// </summary>
internal sealed class VectorSet(int dimensions)
{
    // 1,024 vectors of 384 floats is 1.5 MB a block: big enough to scan without per-vector overhead, small enough that
    // growth never copies what is there.
    private const int BlockSize = 1024;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly List<float[]> _blocks = [];
    private readonly List<string> _keys = [];
    private readonly Dictionary<long, int> _slots = [];

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
                }

                _keys.Add(key);
                _slots[memoryId] = slot;
            }

            vector.CopyTo(_blocks[slot / BlockSize].AsSpan(slot % BlockSize * Dimensions, Dimensions));
        }
        finally
        {
            _lock.ExitWriteLock();
        }
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

        var best = new PriorityQueue<int, float>(top + 1);
        var aboveFloor = 0;
        var threshold = (float)floor;
        _lock.EnterReadLock();
        try
        {
            var count = _keys.Count;
            for (var b = 0; b < _blocks.Count; b++)
            {
                var block = _blocks[b];
                var inBlock = Math.Min(BlockSize, count - (b * BlockSize));
                for (var i = 0; i < inBlock; i++)
                {
                    var similarity = TensorPrimitives.Dot(new ReadOnlySpan<float>(block, i * Dimensions, Dimensions), query);
                    if (similarity < threshold)
                    {
                        continue;
                    }

                    aboveFloor++;
                    var slot = (b * BlockSize) + i;
                    if (best.Count < top)
                    {
                        best.Enqueue(slot, similarity);
                    }
                    else if (best.TryPeek(out _, out var worst) && similarity > worst)
                    {
                        best.DequeueEnqueue(slot, similarity);
                    }
                }
            }

            var hits = new VectorHit[best.Count];
            for (var i = hits.Length - 1; i >= 0; i--)
            {
                best.TryDequeue(out var slot, out var similarity);
                hits[i] = new VectorHit(_keys[slot], similarity);
            }

            return (hits, aboveFloor);
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
