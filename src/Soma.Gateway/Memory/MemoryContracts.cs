namespace Soma.Gateway.Memory;

/// <summary>A link of a memory, as the API shows it.</summary>
internal sealed record MemoryLinkItem(string Rel, string Target, double Weight);

/// <summary>
/// A recalled memory. <c>Match</c> says why it was found: <c>text</c> (its words), <c>meaning</c> (recall by meaning) or
/// <c>both</c>; null when the memory service does not say (SomaBrain).
/// </summary>
internal sealed record MemoryItem(string Key, double Score, string Role, string Text, string? SessionId, string? MessageId, IReadOnlyList<MemoryLinkItem> Links, string? Match);

/// <summary><c>GET /v1/memory</c>; <c>Mode</c> is the recall mode the memory service was asked for.</summary>
internal sealed record MemoryRecallResponse(IReadOnlyList<MemoryItem> Results, int TotalResults, bool Cached, bool Degraded, string Mode);

/// <summary>One memory write of a session, with where it is on its way to the memory service.</summary>
internal sealed record SessionMemoryItem(
    string Kind, string Key, string? Role, string? Text, string Status, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? SentAt, string? LastError,
    IReadOnlyList<MemoryLinkItem> Links);

/// <summary><c>GET /v1/sessions/{id}/memories</c>.</summary>
internal sealed record SessionMemoriesResponse(IReadOnlyList<SessionMemoryItem> Items, int Pending, int Sent, int DeadLettered);

/// <summary>One tenant's waiting memory writes.</summary>
internal sealed record MemoryBacklogItem(string Tenant, long Pending, double OldestAgeSeconds, long DeadLettered);

/// <summary><c>GET /v1/memory/status</c>.</summary>
internal sealed record MemoryStatusResponse(string Mode, string Breaker, double DrainRate, int CapPerTenant, IReadOnlyList<MemoryBacklogItem> Tenants);

/// <summary>A line of <c>POST /v1/memory/flush</c>'s progress (NDJSON).</summary>
internal sealed record MemoryFlushProgress(bool Done, bool DryRun, long Total, long Delivered, long Failed, long DeadLettered, long Remaining, string? Error);
