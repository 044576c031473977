using System.Data.Common;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteCommands;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>Sessions and their messages on SQLite.</summary>
internal sealed class SqliteSessionStore(SqliteStore store) : ISessionStore
{
    private const string SessionColumns = "id, tenant_id, title, metadata, created_at, updated_at";
    private const string MessageColumns = "id, tenant_id, session_id, role, content, metadata, created_at";

    /// <inheritdoc />
    public async Task CreateAsync(IStoreTransaction transaction, Session session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        using var command = store.Own(transaction).CreateCommand(
            "INSERT INTO sessions (tenant_id, id, title, metadata, created_at, updated_at) VALUES ($tenant, $id, $title, $metadata, $created, $updated)");
        command.Parameters.AddWithValue("$tenant", session.TenantId);
        command.Parameters.AddWithValue("$id", Id(session.Id));
        command.Parameters.AddWithValue("$title", OrNull(session.Title));
        command.Parameters.AddWithValue("$metadata", OrNull(session.Metadata));
        command.Parameters.AddWithValue("$created", Ticks(session.CreatedAt));
        command.Parameters.AddWithValue("$updated", Ticks(session.UpdatedAt));
        await ExecuteAsync(command, "create a session", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Session?> GetAsync(string tenantId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SessionColumns} FROM sessions WHERE tenant_id = $tenant AND id = $id";
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$id", Id(sessionId));
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSession(reader) : null;
    }

    /// <inheritdoc />
    public async Task<Page<Session>> ListAsync(string tenantId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {SessionColumns} FROM sessions
            WHERE tenant_id = $tenant {(cursor is null ? "" : "AND (created_at < $time OR (created_at = $time AND id < $after))")}
            ORDER BY created_at DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, ReadSession, s => new PageCursor(s.CreatedAt, s.Id), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> UpdateTitleAsync(IStoreTransaction transaction, string tenantId, Guid sessionId, string? title, DateTimeOffset updatedAt, CancellationToken cancellationToken = default)
    {
        using var command = store.Own(transaction).CreateCommand(
            "UPDATE sessions SET title = $title, updated_at = $updated WHERE tenant_id = $tenant AND id = $id");
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$id", Id(sessionId));
        command.Parameters.AddWithValue("$title", OrNull(title));
        command.Parameters.AddWithValue("$updated", Ticks(updatedAt));
        return await ExecuteAsync(command, "update a session", cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(IStoreTransaction transaction, string tenantId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        using var command = store.Own(transaction).CreateCommand("DELETE FROM sessions WHERE tenant_id = $tenant AND id = $id");
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$id", Id(sessionId));
        return await ExecuteAsync(command, "delete a session", cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public Task<bool> AppendMessageAsync(IStoreTransaction transaction, SessionMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();

        // Inserting through a SELECT on the session makes "no such session (for this tenant)" an outcome, not an error.
        var inserted = store.Own(transaction).Insert("""
            INSERT INTO session_messages (tenant_id, id, session_id, role, content, metadata, created_at)
            SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
            FROM sessions WHERE tenant_id = ?1 AND id = ?3
            """, "append a message")
            .Text(1, message.TenantId).Id(2, message.Id).Id(3, message.SessionId).Text(4, message.Role).Text(5, message.Content)
            .Text(6, message.Metadata).Integer(7, Ticks(message.CreatedAt))
            .Execute();
        return Task.FromResult(inserted == 1); // a cached task for either answer
    }

    /// <inheritdoc />
    public async Task<Page<SessionMessage>> ListMessagesAsync(string tenantId, Guid sessionId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MessageColumns} FROM session_messages
            WHERE tenant_id = $tenant AND session_id = $session {(cursor is null ? "" : "AND (created_at > $time OR (created_at = $time AND id > $after))")}
            ORDER BY created_at, id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$session", Id(sessionId));
        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, ReadMessage, m => new PageCursor(m.CreatedAt, m.Id), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionMessage>> ListRecentMessagesAsync(string tenantId, Guid sessionId, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MessageColumns} FROM session_messages
            WHERE tenant_id = $tenant AND session_id = $session
            ORDER BY created_at DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$session", Id(sessionId));
        command.Parameters.AddWithValue("$limit", Math.Max(limit, 0));
        var items = await ReadAllAsync(command, ReadMessage, cancellationToken).ConfigureAwait(false);
        items.Reverse();
        return items;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionMessage>> ListMessagesUpToAsync(string tenantId, Guid sessionId, Guid messageId, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MessageColumns} FROM session_messages m
            WHERE tenant_id = $tenant AND session_id = $session AND EXISTS (
                SELECT 1 FROM session_messages x
                WHERE x.tenant_id = $tenant AND x.session_id = $session AND x.id = $message
                  AND (m.created_at < x.created_at OR (m.created_at = x.created_at AND m.id <= x.id)))
            ORDER BY created_at DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$session", Id(sessionId));
        command.Parameters.AddWithValue("$message", Id(messageId));
        command.Parameters.AddWithValue("$limit", Math.Max(limit, 0));
        var items = await ReadAllAsync(command, ReadMessage, cancellationToken).ConfigureAwait(false);
        items.Reverse();
        return items;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionMessage>> SearchMessagesAsync(string tenantId, Guid sessionId, string query, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var words = query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        // SQLite's LIKE folds ASCII case only; fold every script in .NET, as PostgreSQL's ILIKE does.
        connection.CreateFunction("soma_fold", (string? text) => text?.ToUpperInvariant(), isDeterministic: true);
        using var command = connection.CreateCommand();
        var conditions = string.Concat(words.Select((_, i) => $" AND instr(soma_fold(content), $w{i}) > 0"));
        command.CommandText = $"""
            SELECT {MessageColumns} FROM session_messages
            WHERE tenant_id = $tenant AND session_id = $session{conditions}
            ORDER BY created_at DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$session", Id(sessionId));
        command.Parameters.AddWithValue("$limit", Math.Max(limit, 0));
        for (var i = 0; i < words.Length; i++)
        {
            command.Parameters.AddWithValue($"$w{i}", words[i].ToUpperInvariant());
        }

        return await ReadAllAsync(command, ReadMessage, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<long?> AppendEventAsync(IStoreTransaction transaction, SessionEvent sessionEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionEvent);
        cancellationToken.ThrowIfCancellationRequested();

        // The next number is the session's last event's plus one, read from the end of the session's range of the log's
        // key index: the leaf page the new key goes into (the row itself goes to the end of the table, migration 0018).
        // The store's single writer makes read-then-insert atomic. (Before, an UPDATE of the session's last_seq column
        // handed it out, and rewrote the session's row in every commit that appended an event; that column now stays as
        // it was.) Through a SELECT on the session, "no such session (for this tenant)" is an outcome, not an error, as
        // for messages.
        var sequence = store.Own(transaction).Insert("""
            INSERT INTO session_events (tenant_id, session_id, seq, id, type, payload, created_at)
            SELECT ?1, ?2, (SELECT coalesce(max(seq), 0) + 1 FROM session_events WHERE tenant_id = ?1 AND session_id = ?2), ?3, ?4, ?5, ?6
            FROM sessions WHERE tenant_id = ?1 AND id = ?2
            RETURNING seq
            """, "append a session event")
            .Text(1, sessionEvent.TenantId).Id(2, sessionEvent.SessionId).Id(3, sessionEvent.EventId).Text(4, sessionEvent.Type)
            .Text(5, sessionEvent.Payload).Integer(6, Ticks(sessionEvent.CreatedAt))
            .ExecuteReturning();
        return Task.FromResult(sequence);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionEvent>> ListEventsAsync(string tenantId, Guid sessionId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT tenant_id, session_id, seq, id, type, payload, created_at FROM session_events
            WHERE tenant_id = $tenant AND session_id = $session AND seq > $after
            ORDER BY seq LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        command.Parameters.AddWithValue("$session", Id(sessionId));
        command.Parameters.AddWithValue("$after", afterSequence);
        command.Parameters.AddWithValue("$limit", Math.Max(limit, 0));
        return await ReadAllAsync(command, r => new SessionEvent(r.GetString(0), Id(r, 1), r.GetInt64(2), Id(r, 3), r.GetString(4), r.GetString(5), Time(r, 6)), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<T>> ReadAllAsync<T>(Microsoft.Data.Sqlite.SqliteCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        try
        {
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(read(reader));
            }
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            throw SqliteStore.Translate(ex, "read");
        }

        return items;
    }

    private static Session ReadSession(DbDataReader r) =>
        new(Id(r, 0), r.GetString(1), NullableString(r, 2), NullableString(r, 3), Time(r, 4), Time(r, 5));

    private static SessionMessage ReadMessage(DbDataReader r) =>
        new(Id(r, 0), r.GetString(1), Id(r, 2), r.GetString(3), r.GetString(4), NullableString(r, 5), Time(r, 6));
}
