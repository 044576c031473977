namespace Soma.Testing;

/// <summary>A request the OpenAI embeddings stand-in received.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path.</param>
/// <param name="Authorization">The <c>Authorization</c> header, if any.</param>
/// <param name="Body">The raw body.</param>
public sealed record RecordedEmbeddingsRequest(string Method, string Path, string? Authorization, string Body);
