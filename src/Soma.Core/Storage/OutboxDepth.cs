namespace Soma.Core.Storage;

/// <summary>A tenant's outbox backlog.</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="Pending">Rows not yet delivered.</param>
/// <param name="OldestPendingAt">When the oldest pending row was appended, or null when none is pending.</param>
/// <param name="DeadLettered">Rows given up on.</param>
public sealed record OutboxDepth(string TenantId, long Pending, DateTimeOffset? OldestPendingAt, long DeadLettered);
