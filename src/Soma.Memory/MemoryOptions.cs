using System.ComponentModel.DataAnnotations;
using Soma.Core.Outbox;

namespace Soma.Memory;

/// <summary><c>Soma:Memory</c>: what the agent remembers and how writes reach the memory service.</summary>
public sealed class MemoryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Memory";

    /// <summary>The namespace conversations are remembered in, within each tenant. Default <c>agent</c>.</summary>
    [Required]
    [MaxLength(256)]
    public string Namespace { get; set; } = "agent";

    /// <summary>
    /// Pending memory writes a tenant may have in the outbox; at or above it new messages are refused with 503 and
    /// <c>Retry-After</c> instead of being accepted without their memory write. Default 100,000.
    /// </summary>
    [Range(1, 100_000_000)]
    public int OutboxCapPerTenant { get; set; } = 100_000;

    /// <summary>Memories recalled into a turn's context. 0 turns recall off. Default 5.</summary>
    [Range(0, 100)]
    public int RecallTopK { get; set; } = 5;

    /// <summary>Recalled memories scoring below this are left out of a turn's context. Default 0.05.</summary>
    [Range(0.0, 1.0)]
    public double RecallMinScore { get; set; } = 0.05;

    /// <summary>How long a turn waits for its recall before going on without memory, in milliseconds. Default 1,500.</summary>
    [Range(50, 60_000)]
    public int RecallTimeoutMilliseconds { get; set; } = 1500;
}

/// <summary>
/// <c>Soma:Memory:Sync</c>: how the sync worker drains the outbox's memory writes; polling (default 500 ms), lease and
/// backoff as every relay loop (<see cref="RelayLoopOptions"/>).
/// </summary>
public sealed class MemorySyncOptions : RelayLoopOptions
{
    /// <summary>Creates the options with the sync worker's defaults.</summary>
    public MemorySyncOptions() => PollMilliseconds = 500;

    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Memory:Sync";

    /// <summary>Memories per batch while the memory service is healthy (the protocol's batch endpoint). Default 25.</summary>
    [Range(1, 100)]
    public int BatchSize { get; set; } = 25;

    /// <summary>Memories per batch while it is degraded. Default 5.</summary>
    [Range(1, 100)]
    public int DegradedBatchSize { get; set; } = 5;

    /// <summary>Pause between batches while degraded, in milliseconds. Default 250.</summary>
    [Range(0, 60_000)]
    public int DegradedPauseMilliseconds { get; set; } = 250;
}
