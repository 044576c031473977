using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Soma.Core.Memory;

namespace Soma.Memory.Embeddings;

/// <summary>
/// <see cref="IEmbedder"/> over an MEAI embedding generator and a model's <see cref="EmbeddingProfile"/>: puts the
/// model's prefix before each text (arctic-embed wants an instruction before queries only), checks that every vector
/// came back with the model's length, and scales each to unit length (an endpoint may not), so a dot product is the
/// cosine. Owns the generator.
/// </summary>
internal sealed class Embedder : IEmbedder, IDisposable
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly EmbeddingProfile _profile;

    public Embedder(IEmbeddingGenerator<string, Embedding<float>> generator, EmbeddingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(profile);
        _generator = generator;
        _profile = profile;
    }

    public string Model => _profile.Model;

    public int Dimensions => _profile.Dimensions;

    public double MatchFloor => _profile.MatchFloor;

    internal EmbeddingProfile Profile => _profile;

    /// <summary>The generator's provider: <c>inprocess</c> or <c>openai</c>.</summary>
    internal string? Provider => _generator.GetService<EmbeddingGeneratorMetadata>()?.ProviderName;

    /// <summary>The in-process generator behind this embedder, or null for an endpoint.</summary>
    internal InProcessEmbeddingGenerator? InProcess => _generator as InProcessEmbeddingGenerator;

    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, EmbeddingPurpose purpose, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
        {
            return [];
        }

        var prefix = purpose == EmbeddingPurpose.Query ? _profile.QueryPrefix : _profile.DocumentPrefix;
        var inputs = new string[texts.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = texts[i] is { } text ? prefix + text : throw new ArgumentException($"texts[{i}] is null.", nameof(texts));
        }

        GeneratedEmbeddings<Embedding<float>> embeddings;
        try
        {
            embeddings = await _generator.GenerateAsync(inputs, EmbeddingPurposes.Options(purpose), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Not our caller's cancellation: the adapter's own deadline (an HttpClient timeout, say).
            throw new EmbeddingException($"The embedder of {Model} timed out: {ex.Message}", isTransient: true, ex);
        }
        catch (Exception ex) when (ex is not EmbeddingException and not OperationCanceledException and not ArgumentException)
        {
            // An adapter we did not write may throw anything: retrying later is the safe reading, the worker backs off.
            throw new EmbeddingException($"The embedder of {Model} failed: {ex.Message}", isTransient: true, ex);
        }

        if (embeddings.Count != inputs.Length)
        {
            throw new EmbeddingException(
                string.Create(CultureInfo.InvariantCulture, $"The embedder of {Model} gave {embeddings.Count} vectors for {inputs.Length} texts."), isTransient: false);
        }

        var vectors = new float[inputs.Length][];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = Normalise(embeddings[i].Vector.Span, i);
        }

        return vectors;
    }

    public void Dispose() => _generator.Dispose();

    private float[] Normalise(ReadOnlySpan<float> vector, int index)
    {
        if (vector.Length != Dimensions)
        {
            throw new EmbeddingException(
                string.Create(CultureInfo.InvariantCulture, $"The embedder of {Model} gave a vector of {vector.Length} dimensions for text {index}; the model has {Dimensions}."),
                isTransient: false);
        }

        var norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm) || norm == 0)
        {
            throw new EmbeddingException(
                string.Create(CultureInfo.InvariantCulture, $"The embedder of {Model} gave a vector of length {norm} for text {index}, which has no direction."), isTransient: false);
        }

        var unit = new float[vector.Length];
        TensorPrimitives.Divide(vector, norm, unit);
        return unit;
    }
}
