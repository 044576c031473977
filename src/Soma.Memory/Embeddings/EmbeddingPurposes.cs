using Microsoft.Extensions.AI;
using Soma.Core.Memory;

namespace Soma.Memory.Embeddings;

/// <summary>
/// Carries an <see cref="EmbeddingPurpose"/> through MEAI's <see cref="EmbeddingGenerationOptions"/>, so the in-process
/// generator can serve recall queries before memory documents. Prefixes are the <see cref="Embedder"/>'s business, not this.
/// </summary>
internal static class EmbeddingPurposes
{
    public const string PropertyName = "soma.purpose";

    public static EmbeddingGenerationOptions Options(EmbeddingPurpose purpose) =>
        new() { AdditionalProperties = new AdditionalPropertiesDictionary { [PropertyName] = purpose } };

    public static EmbeddingPurpose Of(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(PropertyName, out var value) == true && value is EmbeddingPurpose purpose
            ? purpose
            : EmbeddingPurpose.Document;
}
