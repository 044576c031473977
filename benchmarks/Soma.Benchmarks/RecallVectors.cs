using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Vectors;

namespace Soma.Benchmarks;

/// <summary>
/// The server's embedder, vector store and vector index, as the recall benchmark uses them: to wait until the server's
/// <see cref="EmbeddingWorker"/> has given every memory its vector and the <see cref="VectorIndexSync"/> has loaded it,
/// and to save vectors the benchmark computed itself (the latency fill). A build without an embedder or a vector store
/// recalls by words only; then <see cref="Available"/> is false and only text mode is measured.
/// </summary>
internal sealed class RecallVectors(IEmbedder? embedder, IMemoryVectorStore? store, VectorIndexSync? index)
{
    // The embedding pass must make progress within this (its poll is a second; a batch of 32 takes about 0.1 s here).
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(60);

    public IEmbedder? Embedder { get; } = embedder;

    public IMemoryVectorStore? Store { get; } = store;

    /// <summary>True when the server recalls by meaning: it has an embedder and its store keeps vectors.</summary>
    public bool Available => Embedder is not null && Store is not null && index is not null;

    public static RecallVectors From(IServiceProvider services)
    {
        // The index sync is registered with the memory service but needs the store's vectors to be built.
        var store = services.GetService<IMemoryVectorStore>();
        return new(services.GetService<IEmbedder>(), store, store is null ? null : services.GetService<VectorIndexSync>());
    }

    /// <summary>
    /// Waits until no memory is queued for a vector (the server's embedding pass drains the queue) and the vector index
    /// has loaded every saved vector; returns the seconds it took. Throws when the queue stops shrinking.
    /// </summary>
    public async Task<double> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (!Available)
        {
            return 0;
        }

        var started = Stopwatch.GetTimestamp();
        var last = long.MaxValue;
        var lastProgress = Stopwatch.GetTimestamp();
        long pending;
        while ((pending = await Store!.CountPendingAsync(cancellationToken)) > 0)
        {
            if (pending < last)
            {
                last = pending;
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > Stall)
            {
                throw new InvalidOperationException(
                    $"The embedding pass made no progress for {Stall.TotalSeconds:F0} s: {pending} memories still wait for a vector (see the server's log).");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        await index!.CatchUpAsync(cancellationToken);
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
