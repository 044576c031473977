using System.Globalization;
using System.Numerics.Tensors;
using Soma.Core.Memory;
using Soma.Memory.Embeddings;

namespace Soma.Memory.Tests.Embeddings;

/// <summary>
/// The match floors of <see cref="InProcessModels"/>, measured: each model's floor lies above every unrelated pair of
/// <see cref="SimilarityPairs"/> and at or below every paraphrase (queries encoded as queries, memories as documents).
/// The figures docs/memory.md quotes are printed in the test output.
/// </summary>
public sealed class MatchFloorTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => [.. InProcessModels.Ids];

    [Theory]
    [MemberData(nameof(Models))]
    public async Task The_floor_separates_unrelated_pairs_from_paraphrases(string model)
    {
        var known = InProcessModels.Find(model)!;
        using var embedder = new Embedder(new InProcessEmbeddingGenerator(known, Environment.ProcessorCount, 32, 16, TimeSpan.FromMinutes(2)), known.Profile);

        var paraphrases = await SimilaritiesAsync(embedder, SimilarityPairs.Paraphrases);
        var unrelated = await SimilaritiesAsync(embedder, SimilarityPairs.Unrelated);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model}: floor {embedder.MatchFloor:F2}; unrelated {unrelated.Min():F3}..{unrelated.Max():F3} (median {Median(unrelated):F3}); paraphrases {paraphrases.Min():F3}..{paraphrases.Max():F3} (median {Median(paraphrases):F3})"));
        Assert.All(unrelated, s => Assert.True(s < embedder.MatchFloor, $"an unrelated pair scores {s} >= {embedder.MatchFloor}"));
        Assert.All(paraphrases, s => Assert.True(s >= embedder.MatchFloor, $"a paraphrase scores {s} < {embedder.MatchFloor}"));
    }

    private static async Task<float[]> SimilaritiesAsync(Embedder embedder, (string Document, string Query)[] pairs)
    {
        var documents = await embedder.EmbedAsync([.. pairs.Select(p => p.Document)], EmbeddingPurpose.Document);
        var queries = await embedder.EmbedAsync([.. pairs.Select(p => p.Query)], EmbeddingPurpose.Query);
        return [.. documents.Zip(queries, (d, q) => TensorPrimitives.Dot(d, q))];
    }

    private static float Median(float[] values) => values.Order().ElementAt(values.Length / 2);
}
