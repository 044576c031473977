namespace Soma.Memory.Embeddings;

/// <summary>What the embedder needs to know about a model besides its vectors.</summary>
/// <param name="Model">The id stored with each vector.</param>
/// <param name="Dimensions">The length of its vectors.</param>
/// <param name="QueryPrefix">Put before a recall query (arctic-embed's instruction), or empty.</param>
/// <param name="DocumentPrefix">Put before a memory's text, or empty.</param>
/// <param name="MatchFloor">The cosine similarity below which a memory does not match by meaning (measured, docs/memory.md#models).</param>
internal sealed record EmbeddingProfile(string Model, int Dimensions, string QueryPrefix, string DocumentPrefix, double MatchFloor);
