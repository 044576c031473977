using System.Diagnostics.CodeAnalysis;
using Soma.Core.Memory;

namespace Soma.Memory.Embeddings;

/// <summary>
/// The embedders this process can use: the configured one (<c>Soma:Memory:Embeddings</c>), and any in-process model by
/// its id, because after a model change recall still embeds queries with the model whose vectors are in the store, and
/// <c>soma memory reindex --model X</c> needs X. Each embedder is made once, on first request, and its model loads on
/// its first embedding; the catalog owns them all.
/// </summary>
public interface IEmbedderCatalog
{
    /// <summary>The configured embedder, or null when <c>Soma:Memory:Embeddings:Provider</c> is <c>None</c> (recall by text only).</summary>
    IEmbedder? Configured { get; }

    /// <summary>The ids of the models that run in this process (<c>all-minilm-l6-v2</c>, <c>arctic-embed-xs</c>).</summary>
    IReadOnlyList<string> InProcessModels { get; }

    /// <summary>
    /// The embedder for <paramref name="model"/> (case-insensitive): the configured one when it is that model, else the
    /// in-process model of that id, whatever the provider. False for a model this process cannot embed with.
    /// </summary>
    bool TryGet(string model, [NotNullWhen(true)] out IEmbedder? embedder);
}
