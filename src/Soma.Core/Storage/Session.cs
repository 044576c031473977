namespace Soma.Core.Storage;

/// <summary>A conversation between a tenant's user and an agent.</summary>
/// <param name="Id">UUIDv7.</param>
/// <param name="TenantId">The owning tenant; every read is scoped by it.</param>
/// <param name="Title">A human title, or null.</param>
/// <param name="Metadata">Caller-supplied JSON object text, or null.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record Session(
    Guid Id,
    string TenantId,
    string? Title,
    string? Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
