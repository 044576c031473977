using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;

namespace Soma.Benchmarks;

/// <summary>
/// The server's embedder and vector store, as the recall benchmark uses them: to wait until every memory has its vector
/// and to save vectors it computed itself (the latency fill). Either is null in a build that does not register it; then
/// the benchmark reports <c>vectors_by: none</c> and the vector and hybrid rows measure whatever the service does
/// without vectors.
/// </summary>
internal sealed class RecallVectors(IEmbedder? embedder, IMemoryVectorStore? store)
{
    // The server's embedding pass gets this long to make progress before the harness embeds the queue itself.
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private const int LeaseBatch = 64;

    public IEmbedder? Embedder { get; } = embedder;

    public IMemoryVectorStore? Store { get; } = store;

    public static RecallVectors From(IServiceProvider services) =>
        new(services.GetService<IEmbedder>(), services.GetService<IMemoryVectorStore>());

    /// <summary>
    /// Waits until no memory is queued for a vector, and says who embedded them: <c>service</c> when the server's own
    /// embedding pass drained the queue, <c>harness</c> when nothing drained it for a while and the benchmark leased,
    /// embedded and saved the rest itself (as the pass does), <c>none</c> without an embedder or a vector store.
    /// </summary>
    public async Task<(string By, double Seconds)> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (Embedder is null || Store is null)
        {
            return ("none", 0);
        }

        var started = Stopwatch.GetTimestamp();
        var by = "service";
        var last = long.MaxValue;
        var lastProgress = Stopwatch.GetTimestamp();
        while (true)
        {
            var pending = await Store.CountPendingAsync(cancellationToken);
            if (pending == 0)
            {
                return (by, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }

            if (pending < last)
            {
                last = pending;
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > Stall)
            {
                await DrainAsync(cancellationToken);
                by = "harness";
                continue;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>Does what the embedding pass does until the queue is empty: lease, embed as documents, save.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await Store!.LeasePendingAsync(LeaseBatch, Lease, DateTimeOffset.UtcNow, cancellationToken);
            if (batch.Count == 0)
            {
                return;
            }

            var vectors = await Embedder!.EmbedAsync([.. batch.Select(p => p.Text)], EmbeddingPurpose.Document, cancellationToken);
            await Store.SaveAsync(
                [.. batch.Zip(vectors, (p, v) => new MemoryVector(p.MemoryId, p.Version, Embedder.Model, v))], DateTimeOffset.UtcNow, cancellationToken);
        }
    }
}
