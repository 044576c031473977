using System.ComponentModel.DataAnnotations;

namespace Soma.Memory.Service;

/// <summary><c>Soma:Memory:Recall</c>: how the memory service fuses recall by words and by meaning.</summary>
public sealed class MemoryRecallOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Memory:Recall";

    /// <summary>How the two rankings become one score: <c>rrf</c> (reciprocal rank fusion) or <c>weighted</c> (a weighted sum of the two scores). Default <c>rrf</c>.</summary>
    [Required]
    [RegularExpression("^(rrf|weighted)$", ErrorMessage = "Fusion must be 'rrf' or 'weighted'.")]
    public string Fusion { get; set; } = "rrf";

    /// <summary>The share of full-text in the fused relevance, 0..1 (meaning gets the rest). Default 0.5.</summary>
    [Range(0.0, 1.0)]
    public double TextWeight { get; set; } = 0.5;

    /// <summary>Reciprocal rank fusion's constant: higher flattens the difference between ranks. Default 60.</summary>
    [Range(1, 1000)]
    public int RrfK { get; set; } = 60;

    /// <summary>Candidates taken from each ranking before fusion (at least <c>top_k</c>). Default 20.</summary>
    [Range(1, 1000)]
    public int Candidates { get; set; } = 20;

    /// <summary>
    /// How long a recall waits for its query's vector before answering by words alone (marked degraded), in
    /// milliseconds. Default 5,000 (the model loads on first use, which can take seconds on a busy machine).
    /// </summary>
    [Range(10, 60_000)]
    public int QueryEmbeddingTimeoutMilliseconds { get; set; } = 5000;
}
