namespace Soma.Core.Memory;

/// <summary>
/// The storage behind SomaAgent's own memory service: memories by (tenant, namespace, key), full-text search ranked by
/// relevance and recency, links. Adapters: SQLite FTS5 and PostgreSQL full-text search.
/// </summary>
public interface IMemoryStore
{
    /// <summary>Stores or updates the memories (one transaction); each result says whether the key existed.</summary>
    Task<IReadOnlyList<RememberResponse>> UpsertAsync(string tenant, string memoryNamespace, IReadOnlyList<RememberItem> items, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Searches one tenant's namespace: best first, scores in 0..1.</summary>
    Task<RecallResponse> SearchAsync(RecallRequest request, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Adds (or updates) a link between two keys of a tenant. False when the source key does not exist.</summary>
    Task<bool> LinkAsync(string tenant, LinkRequest request, CancellationToken cancellationToken = default);
}
