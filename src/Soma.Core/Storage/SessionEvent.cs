namespace Soma.Core.Storage;

/// <summary>One durable event in a session's log: what a client replays from <c>Last-Event-ID</c>.</summary>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="SessionId">The session.</param>
/// <param name="Sequence">The per-session sequence number (0 before it is appended).</param>
/// <param name="EventId">The event envelope's id.</param>
/// <param name="Type">The event type, e.g. <c>conversation.user_message</c>.</param>
/// <param name="Payload">The event envelope as JSON.</param>
/// <param name="CreatedAt">When it was appended.</param>
public sealed record SessionEvent(
    string TenantId,
    Guid SessionId,
    long Sequence,
    Guid EventId,
    string Type,
    string Payload,
    DateTimeOffset CreatedAt);
