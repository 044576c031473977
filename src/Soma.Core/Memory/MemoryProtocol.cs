using System.Text.Json;

namespace Soma.Core.Memory;

// The SomaBrain memory protocol, as records. On the wire every field is snake_case JSON; requests carry the headers
// Authorization: Bearer, X-Tenant-ID (must equal the body's tenant), X-Request-ID (echoed) and traceparent.

/// <summary>A link from one memory to another.</summary>
/// <param name="Rel">The relation, e.g. <c>answers</c>, <c>used_by</c>.</param>
/// <param name="Target">The key of the linked memory.</param>
/// <param name="Weight">Strength, 0..1.</param>
public sealed record MemoryLink(string Rel, string Target, double Weight = 1.0);

/// <summary><c>POST /memory/remember</c>: store (or update, same key) one memory.</summary>
/// <param name="Tenant">The tenant (equals the X-Tenant-ID header).</param>
/// <param name="Namespace">The namespace within the tenant, e.g. <c>session:{id}</c>.</param>
/// <param name="Key">The idempotency key: remembering the same key again updates that memory.</param>
/// <param name="Value">The memory, a JSON object.</param>
/// <param name="Tags">Optional tags.</param>
/// <param name="Links">Optional links to other memories.</param>
/// <param name="TraceId">Optional W3C trace id.</param>
public sealed record RememberRequest(
    string Tenant, string Namespace, string Key, JsonElement Value, IReadOnlyList<string>? Tags = null, IReadOnlyList<MemoryLink>? Links = null, string? TraceId = null);

/// <summary>The answer to a remember.</summary>
/// <param name="Ok">Whether it was stored.</param>
/// <param name="Key">The memory's key.</param>
/// <param name="Deduplicated">True when the key existed and the memory was updated.</param>
public sealed record RememberResponse(bool Ok, string Key, bool Deduplicated);

/// <summary>One item of a batch (the batch carries tenant and namespace).</summary>
/// <param name="Key">The idempotency key.</param>
/// <param name="Value">The memory, a JSON object.</param>
/// <param name="Tags">Optional tags.</param>
/// <param name="Links">Optional links.</param>
/// <param name="TraceId">Optional W3C trace id.</param>
public sealed record RememberItem(string Key, JsonElement Value, IReadOnlyList<string>? Tags = null, IReadOnlyList<MemoryLink>? Links = null, string? TraceId = null);

/// <summary><c>POST /memory/remember/batch</c>.</summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="Namespace">The namespace.</param>
/// <param name="Items">The memories, in order.</param>
public sealed record RememberBatchRequest(string Tenant, string Namespace, IReadOnlyList<RememberItem> Items);

/// <summary>The answer to a batch: one result per item, in order.</summary>
/// <param name="Ok">Whether every item was stored.</param>
/// <param name="Results">Per item.</param>
public sealed record RememberBatchResponse(bool Ok, IReadOnlyList<RememberResponse> Results);

/// <summary><c>POST /memory/recall</c>.</summary>
/// <param name="Query">Free text.</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="Namespace">The namespace.</param>
/// <param name="TopK">At most this many results (default 10).</param>
/// <param name="Tags">When given, only memories with all these tags.</param>
/// <param name="MinScore">When given, only results scoring at least this (0..1).</param>
public sealed record RecallRequest(string Query, string Tenant, string Namespace, int TopK = 10, IReadOnlyList<string>? Tags = null, double? MinScore = null)
{
    /// <summary>
    /// How to find memories: <c>text</c> (full-text only), <c>vector</c> (meaning only) or <c>hybrid</c> (both, fused;
    /// the default when absent). SomaAgent's addition; SomaBrain ignores it.
    /// </summary>
    public string? Mode { get; init; }
}

/// <summary>The values of <see cref="RecallRequest.Mode"/> and <see cref="RecallResult.Match"/>.</summary>
public static class RecallModes
{
    /// <summary>Full-text search only; a result matched by its words.</summary>
    public const string Text = "text";

    /// <summary>Vector similarity only.</summary>
    public const string Vector = "vector";

    /// <summary>Both, fused (the default).</summary>
    public const string Hybrid = "hybrid";

    /// <summary>A result matched by meaning (vector similarity) only.</summary>
    public const string Meaning = "meaning";

    /// <summary>A result matched by its words and by meaning.</summary>
    public const string Both = "both";
}

/// <summary>One recalled memory.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Score">Relevance and recency, 0..1.</param>
/// <param name="Value">The memory.</param>
/// <param name="Links">Its links.</param>
public sealed record RecallResult(string Key, double Score, JsonElement Value, IReadOnlyList<MemoryLink> Links)
{
    /// <summary>
    /// Why it was recalled: <c>text</c> (its words), <c>meaning</c> (vector similarity) or <c>both</c>. SomaAgent's
    /// addition; absent from services that do not say (SomaBrain).
    /// </summary>
    public string? Match { get; init; }
}

/// <summary>The answer to a recall.</summary>
/// <param name="Results">Best first.</param>
/// <param name="TotalResults">How many matched before top_k.</param>
/// <param name="Degraded">True when the service answered from a degraded state (partial results).</param>
public sealed record RecallResponse(IReadOnlyList<RecallResult> Results, int TotalResults, bool Degraded)
{
    /// <summary>True when the answer came from the recall cache (SomaAgent's addition; a service never sets it).</summary>
    public bool Cached { get; init; }
}

/// <summary><c>POST /link</c> (the tenant comes from X-Tenant-ID).</summary>
/// <param name="FromKey">The source memory.</param>
/// <param name="ToKey">The target memory.</param>
/// <param name="Type">The relation.</param>
/// <param name="Weight">Strength, 0..1.</param>
public sealed record LinkRequest(string FromKey, string ToKey, string Type, double Weight = 1.0);

/// <summary><c>GET /health</c>.</summary>
/// <param name="Ok">Whether the service works.</param>
/// <param name="Ready">Whether it takes writes.</param>
/// <param name="Status"><c>healthy</c>, <c>degraded</c> or <c>critical</c>.</param>
public sealed record MemoryHealthResponse(bool Ok, bool Ready, string Status);
