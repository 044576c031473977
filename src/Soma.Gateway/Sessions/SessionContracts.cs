using System.Text.Json;

namespace Soma.Gateway.Sessions;

/// <summary>The body of <c>POST /v1/sessions</c>.</summary>
/// <param name="Title">Optional title, at most 200 characters.</param>
/// <param name="Metadata">Optional JSON object, at most 16 KiB.</param>
internal sealed record CreateSessionRequest(string? Title = null, JsonElement? Metadata = null);

/// <summary>The body of <c>PATCH /v1/sessions/{id}</c>.</summary>
/// <param name="Title">The new title (null clears it), at most 200 characters.</param>
internal sealed record UpdateSessionRequest(string? Title);

/// <summary>A session as the API shows it.</summary>
internal sealed record SessionResponse(Guid Id, string? Title, JsonElement? Metadata, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A message as the API shows it.</summary>
internal sealed record MessageResponse(Guid Id, Guid SessionId, string Role, string Content, JsonElement? Metadata, DateTimeOffset CreatedAt);

/// <summary>A page of items and the cursor of the next page.</summary>
internal sealed record PageResponse<T>(IReadOnlyList<T> Items, string? NextCursor);
