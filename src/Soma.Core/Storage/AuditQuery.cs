namespace Soma.Core.Storage;

/// <summary>
/// Which audit records a listing returns; every filter that is set must match (null means any). The time range is
/// half-open: <see cref="From"/> inclusive, <see cref="To"/> exclusive.
/// </summary>
/// <param name="Action">Only this action, e.g. <c>tool.call</c>.</param>
/// <param name="Resource">Only this resource, e.g. <c>tool/math.evaluate</c> (exact match).</param>
/// <param name="Decision">Only this decision: <c>allow</c>, <c>deny</c> or <c>info</c>.</param>
/// <param name="From">Only records at or after this time.</param>
/// <param name="To">Only records before this time.</param>
public sealed record AuditQuery(
    string? Action = null,
    string? Resource = null,
    string? Decision = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null);
