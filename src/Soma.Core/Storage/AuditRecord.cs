namespace Soma.Core.Storage;

/// <summary>One entry of the append-only audit log: who did what to what, and what was decided.</summary>
/// <param name="Id">UUIDv7.</param>
/// <param name="TenantId">The tenant the action happened in.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Actor">Who acted: a token subject, a worker, the system.</param>
/// <param name="Action">What was attempted, e.g. <c>tool.invoke</c> or <c>memory.flush</c>.</param>
/// <param name="Resource">What it was attempted on.</param>
/// <param name="Decision"><c>allow</c>, <c>deny</c> or <c>info</c>.</param>
/// <param name="Reason">Why, or null.</param>
/// <param name="PolicyRevision">The policy revision that decided, or null.</param>
/// <param name="TraceId">The W3C trace id of the request, or null.</param>
/// <param name="Details">A JSON object with further facts, or null. Never secrets.</param>
public sealed record AuditRecord(
    Guid Id,
    string TenantId,
    DateTimeOffset Time,
    string Actor,
    string Action,
    string Resource,
    string Decision,
    string? Reason,
    string? PolicyRevision,
    string? TraceId,
    string? Details);
