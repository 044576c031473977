namespace Soma.Core.Memory;

/// <summary>
/// The vectors behind recall by meaning, kept in the memory store beside the memories (a float32 blob per memory and
/// model, on SQLite and PostgreSQL alike), and the queue of memories still waiting for one. Every memory write
/// enqueues its memory in the write's own transaction, so a memory is searchable by text at once and never waits for,
/// nor is lost by, its embedding: a background pass leases queued memories, embeds them and saves their vectors. The
/// memory service keeps the vectors in memory for search, loading them once and then reading only what was saved
/// since (<see cref="ReadVectorsAsync"/>, in <see cref="StoredVector.Sequence"/> order).
/// </summary>
public interface IMemoryVectorStore
{
    /// <summary>
    /// Leases up to <paramref name="max"/> queued memories that are due (oldest first) for <paramref name="leaseFor"/>:
    /// another caller does not get them until the lease ends.
    /// </summary>
    Task<IReadOnlyList<PendingEmbedding>> LeasePendingAsync(int max, TimeSpan leaseFor, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves the vectors (replacing a memory's earlier vector of the same model). With <paramref name="dequeue"/> (the
    /// embedding pass, saving the configured model's vectors) each memory also leaves the queue unless it was updated
    /// after the version embedded, in which case it stays queued for its new text; a re-embedding with another model
    /// passes false and leaves the queue alone. A vector of a memory that no longer exists is dropped.
    /// </summary>
    Task SaveAsync(IReadOnlyList<MemoryVector> vectors, DateTimeOffset now, bool dequeue, CancellationToken cancellationToken = default);

    /// <summary>A failed attempt: the memories stay queued, are due again at <paramref name="retryAt"/>, and count one more attempt.</summary>
    Task RetryLaterAsync(IReadOnlyList<long> memoryIds, DateTimeOffset retryAt, CancellationToken cancellationToken = default);

    /// <summary>How many memories are queued (still without a current vector).</summary>
    Task<long> CountPendingAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues every memory that has no current vector of <paramref name="model"/> (none, or one older than its last
    /// update) and is not queued already; returns how many were queued. Run at start, so a model change or vectors
    /// lost to a restore are filled in.
    /// </summary>
    Task<long> EnqueueMissingAsync(string model, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stored vectors with a sequence above <paramref name="afterSequence"/>, in sequence order, at most
    /// <paramref name="max"/>. A vector saved later always gets a higher sequence and becomes visible only after every
    /// lower one, so a reader that remembers the last sequence it saw never misses a vector.
    /// </summary>
    Task<IReadOnlyList<StoredVector>> ReadVectorsAsync(long afterSequence, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// The memories of one tenant's namespace with these keys that carry all of <paramref name="tags"/> (when given),
    /// with their values, last update and links; keys that do not exist or lack a tag are left out.
    /// </summary>
    Task<IReadOnlyList<StoredMemory>> ReadMemoriesAsync(
        string tenant, string memoryNamespace, IReadOnlyList<string> keys, IReadOnlyList<string>? tags, CancellationToken cancellationToken = default);

    /// <summary>
    /// Re-embedding: up to <paramref name="max"/> memories with an id above <paramref name="afterId"/> (by id) that have
    /// no current vector of <paramref name="model"/>, of <paramref name="tenant"/> only when given. Walking with the last
    /// id returned visits every memory once, and a walk started again skips what is done.
    /// </summary>
    Task<IReadOnlyList<PendingEmbedding>> ReadMissingAsync(string model, string? tenant, long afterId, int max, CancellationToken cancellationToken = default);

    /// <summary>How many memories there are, and how many have a current vector of <paramref name="model"/> (of <paramref name="tenant"/> only when given).</summary>
    Task<VectorCoverage> CoverageAsync(string model, string? tenant, CancellationToken cancellationToken = default);
}

/// <summary>A memory that needs a vector.</summary>
/// <param name="MemoryId">The store's id of the memory.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Key">Its key.</param>
/// <param name="Text">Its searchable text (<see cref="MemoryText.Searchable"/>).</param>
/// <param name="Version">Its version (the store's update stamp); a vector saved with it is current until the memory is updated again.</param>
/// <param name="Attempts">Failed attempts so far.</param>
public sealed record PendingEmbedding(long MemoryId, string Tenant, string Namespace, string Key, string Text, long Version, int Attempts);

/// <summary>A vector to save.</summary>
/// <param name="MemoryId">The memory.</param>
/// <param name="Version">The memory version that was embedded (from <see cref="PendingEmbedding.Version"/>).</param>
/// <param name="Model">The model that made it.</param>
/// <param name="Vector">Unit length.</param>
public sealed record MemoryVector(long MemoryId, long Version, string Model, float[] Vector);

/// <summary>A stored vector, as the memory service's index loads it.</summary>
/// <param name="Sequence">Its position in save order (higher is later).</param>
/// <param name="MemoryId">The memory.</param>
/// <param name="Tenant">The memory's tenant.</param>
/// <param name="Namespace">The memory's namespace.</param>
/// <param name="Key">The memory's key.</param>
/// <param name="Model">The model that made it.</param>
/// <param name="Vector">Unit length.</param>
public sealed record StoredVector(long Sequence, long MemoryId, string Tenant, string Namespace, string Key, string Model, float[] Vector);

/// <summary>A memory read by key.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Value">The memory.</param>
/// <param name="UpdatedAt">When it was last written.</param>
/// <param name="Links">Its links.</param>
public sealed record StoredMemory(string Key, System.Text.Json.JsonElement Value, DateTimeOffset UpdatedAt, IReadOnlyList<MemoryLink> Links);

/// <summary>How far a model's vectors cover the memories.</summary>
/// <param name="Memories">Memories in all.</param>
/// <param name="Current">Memories with a current vector of the model.</param>
public sealed record VectorCoverage(long Memories, long Current);
