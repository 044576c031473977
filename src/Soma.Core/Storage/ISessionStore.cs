namespace Soma.Core.Storage;

/// <summary>Sessions and their messages. Every read and write is scoped by tenant: another tenant's session does not exist.</summary>
public interface ISessionStore
{
    /// <summary>Inserts a new session inside <paramref name="transaction"/>.</summary>
    Task CreateAsync(IStoreTransaction transaction, Session session, CancellationToken cancellationToken = default);

    /// <summary>The session, or null when it does not exist for this tenant.</summary>
    Task<Session?> GetAsync(string tenantId, Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's sessions, newest first.</summary>
    Task<Page<Session>> ListAsync(string tenantId, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Sets the title. Returns false when the session does not exist for this tenant.</summary>
    Task<bool> UpdateTitleAsync(IStoreTransaction transaction, string tenantId, Guid sessionId, string? title, DateTimeOffset updatedAt, CancellationToken cancellationToken = default);

    /// <summary>Deletes the session and its messages. Returns false when it does not exist for this tenant.</summary>
    Task<bool> DeleteAsync(IStoreTransaction transaction, string tenantId, Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a message inside <paramref name="transaction"/>. Returns false (and writes nothing) when the
    /// session does not exist for the message's tenant.
    /// </summary>
    Task<bool> AppendMessageAsync(IStoreTransaction transaction, SessionMessage message, CancellationToken cancellationToken = default);

    /// <summary>The session's messages, oldest first. An unknown session yields an empty page.</summary>
    Task<Page<SessionMessage>> ListMessagesAsync(string tenantId, Guid sessionId, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="limit"/> messages of the session, oldest first (the context of a turn).</summary>
    Task<IReadOnlyList<SessionMessage>> ListRecentMessagesAsync(string tenantId, Guid sessionId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The newest <paramref name="limit"/> messages of the session up to and including <paramref name="messageId"/>,
    /// oldest first: the context of that message's turn, however many messages arrived after it. Empty when the message
    /// is not in the session.
    /// </summary>
    Task<IReadOnlyList<SessionMessage>> ListMessagesUpToAsync(string tenantId, Guid sessionId, Guid messageId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Messages of the session whose text contains every word of <paramref name="query"/> (case-insensitive), newest
    /// first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<SessionMessage>> SearchMessagesAsync(string tenantId, Guid sessionId, string query, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends an event to the session's log inside <paramref name="transaction"/> and returns the sequence number it
    /// got: 1, 2, 3… per session, in commit order, without gaps. Null (and nothing written) when the session does not
    /// exist for the tenant.
    /// </summary>
    Task<long?> AppendEventAsync(IStoreTransaction transaction, SessionEvent sessionEvent, CancellationToken cancellationToken = default);

    /// <summary>The session's events with a sequence number above <paramref name="afterSequence"/>, in order.</summary>
    Task<IReadOnlyList<SessionEvent>> ListEventsAsync(string tenantId, Guid sessionId, long afterSequence, int limit, CancellationToken cancellationToken = default);
}
