namespace Soma.Core.Storage;

/// <summary>One message in a session.</summary>
/// <param name="Id">UUIDv7; messages of a session are ordered by it.</param>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="SessionId">The session the message belongs to.</param>
/// <param name="Role">Who said it: <c>user</c>, <c>assistant</c>, <c>tool</c> or <c>system</c>.</param>
/// <param name="Content">The text.</param>
/// <param name="Metadata">Caller-supplied JSON object text, or null.</param>
/// <param name="CreatedAt">When it was accepted.</param>
public sealed record SessionMessage(
    Guid Id,
    string TenantId,
    Guid SessionId,
    string Role,
    string Content,
    string? Metadata,
    DateTimeOffset CreatedAt);
