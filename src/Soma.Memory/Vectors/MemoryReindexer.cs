using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;

namespace Soma.Memory.Vectors;

/// <summary>
/// Re-embedding (<c>soma memory reindex</c>): gives every memory a current vector of one model, in batches, while
/// recall goes on over the vectors already there (a namespace is searched with one model at a time, see
/// docs/memory.md). It walks the memories by id and embeds only those without a current vector of the model, so a
/// reindex stopped half-way and started again picks up where it was; a last walk catches memories written or updated
/// behind it while it ran.
/// </summary>
public sealed class MemoryReindexer(IMemoryVectorStore store, VectorIndexSignal indexSignal, TimeProvider time, IOptions<VectorOptions> options)
{
    // Walks after the first: each finds what was written or updated behind the one before; a store under constant
    // writes is never "done", so the walks stop here and the embedding pass (for the configured model) or the next
    // reindex takes the rest.
    private const int MaxWalks = 3;

    /// <summary>
    /// Runs the reindex for <paramref name="embedder"/>'s model (of <paramref name="tenant"/> only when given), reporting
    /// progress after each batch and a last report with <see cref="ReindexProgress.Done"/>. A batch the model fails on is
    /// counted in <see cref="ReindexProgress.Failed"/> and left for a later run; store failures throw.
    /// </summary>
    public async IAsyncEnumerable<ReindexProgress> RunAsync(IEmbedder embedder, string? tenant, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        var model = embedder.Model;
        var coverage = await store.CoverageAsync(model, tenant, cancellationToken).ConfigureAwait(false);
        var progress = new ReindexProgress(model, tenant, coverage.Memories, coverage.Current, 0, 0, false, null);
        yield return progress;

        var batchSize = options.Value.BatchSize;
        for (var walk = 0; walk < MaxWalks; walk++)
        {
            long after = 0;
            var found = 0;
            while (true)
            {
                var batch = await store.ReadMissingAsync(model, tenant, after, batchSize, cancellationToken).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    break;
                }

                found += batch.Count;
                after = batch[^1].MemoryId;
                IReadOnlyList<float[]>? vectors = null;
                string? error = null;
                try
                {
                    vectors = await embedder.EmbedAsync([.. batch.Select(p => p.Text)], EmbeddingPurpose.Document, cancellationToken).ConfigureAwait(false);
                }
                catch (EmbeddingException ex)
                {
                    error = ex.Message;
                }

                if (vectors is null || vectors.Count != batch.Count)
                {
                    progress = progress with { Failed = progress.Failed + batch.Count, Error = error ?? "The embedder answered the wrong number of vectors." };
                    yield return progress;
                    continue;
                }

                await store.SaveAsync(
                    [.. batch.Select((p, i) => new MemoryVector(p.MemoryId, p.Version, model, vectors[i]))], time.GetUtcNow(), dequeue: false, cancellationToken)
                    .ConfigureAwait(false);
                indexSignal.Notify();
                progress = progress with { Current = Math.Min(progress.Total, progress.Current + batch.Count), Embedded = progress.Embedded + batch.Count };
                yield return progress;
            }

            // A walk that only met failures would meet them again at once: leave them to the next run.
            if (found == 0 || progress.Failed >= found)
            {
                break;
            }
        }

        coverage = await store.CoverageAsync(model, tenant, cancellationToken).ConfigureAwait(false);
        yield return progress with { Total = coverage.Memories, Current = coverage.Current, Done = true };
    }
}
