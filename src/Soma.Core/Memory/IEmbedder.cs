namespace Soma.Core.Memory;

/// <summary>What a text is embedded for: some models encode a search query differently from the text it should find.</summary>
public enum EmbeddingPurpose
{
    /// <summary>A memory's text, stored and searched.</summary>
    Document,

    /// <summary>A recall query.</summary>
    Query,
}

/// <summary>
/// Turns text into vectors for recall by meaning. Adapters (in Soma.Memory): the in-process model (the embedded
/// default, no network) and an OpenAI-compatible <c>/v1/embeddings</c> endpoint, both behind MEAI's
/// <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>. Every vector is unit length, so a dot product is the
/// cosine similarity; the <see cref="Model"/> id is stored with each vector and vectors of different models are never
/// compared.
/// </summary>
public interface IEmbedder
{
    /// <summary>The model's id as stored with each vector, e.g. <c>all-minilm-l6-v2</c>.</summary>
    string Model { get; }

    /// <summary>The length of every vector this model gives.</summary>
    int Dimensions { get; }

    /// <summary>
    /// The cosine similarity below which a memory does not count as a match by meaning (measured per model: unrelated
    /// texts score under it), so a query about nothing stored still finds nothing.
    /// </summary>
    double MatchFloor { get; }

    /// <summary>One unit-length vector per text, in order.</summary>
    /// <exception cref="EmbeddingException">The model failed or could not be reached; <see cref="EmbeddingException.IsTransient"/> says whether retrying may help.</exception>
    Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, EmbeddingPurpose purpose, CancellationToken cancellationToken = default);
}
