using System.ComponentModel.DataAnnotations;

namespace Soma.Memory.Vectors;

/// <summary>
/// <c>Soma:Memory:Vectors</c>: how the memory service fills in and follows the vectors of recall by meaning (the
/// <see cref="EmbeddingWorker"/> and the <see cref="VectorIndexSync"/>).
/// </summary>
public sealed class VectorOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Memory:Vectors";

    /// <summary>Memories embedded per batch. Default 32.</summary>
    [Range(1, 256)]
    public int BatchSize { get; set; } = 32;

    /// <summary>How often an idle embedding pass looks for memories written by other processes, in milliseconds. Default 1,000.</summary>
    [Range(10, 60_000)]
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>How long leased memories stay reserved for one pass, in seconds; a crashed pass's memories are taken over after it. Default 60.</summary>
    [Range(1, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>The first wait after a failed embedding, in milliseconds; it doubles per attempt. Default 1,000.</summary>
    [Range(1, 600_000)]
    public int BackoffBaseMilliseconds { get; set; } = 1000;

    /// <summary>The longest wait after failed embeddings, in seconds. Default 300.</summary>
    [Range(1, 86_400)]
    public int BackoffMaxSeconds { get; set; } = 300;

    /// <summary>How long one batch may take to embed before it counts as failed, in seconds. Default 60.</summary>
    [Range(1, 3600)]
    public int EmbedTimeoutSeconds { get; set; } = 60;

    /// <summary>How often the in-memory index reads vectors saved by other processes, in milliseconds. Default 500.</summary>
    [Range(10, 60_000)]
    public int IndexPollMilliseconds { get; set; } = 500;
}
