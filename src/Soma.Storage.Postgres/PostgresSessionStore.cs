using System.Data.Common;
using Npgsql;
using Soma.Core.Storage;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>Sessions and their messages on PostgreSQL.</summary>
internal sealed class PostgresSessionStore(PostgresStore store) : ISessionStore
{
    private const string SessionColumns = "id, tenant_id, title, metadata::text, created_at, updated_at";
    private const string MessageColumns = "id, tenant_id, session_id, role, content, metadata::text, created_at";

    /// <inheritdoc />
    public async Task CreateAsync(IStoreTransaction transaction, Session session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        using var command = store.Own(transaction).CreateCommand(
            "INSERT INTO sessions (tenant_id, id, title, metadata, created_at, updated_at) VALUES (@tenant, @id, @title, @metadata, @created, @updated)");
        command.Add("tenant", session.TenantId);
        command.Add("id", session.Id);
        command.AddText("title", session.Title);
        command.AddJson("metadata", session.Metadata);
        command.Add("created", session.CreatedAt);
        command.Add("updated", session.UpdatedAt);
        await ExecuteAsync(command, "create a session", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Session?> GetAsync(string tenantId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SessionColumns} FROM sessions WHERE tenant_id = @tenant AND id = @id";
        command.Add("tenant", tenantId);
        command.Add("id", sessionId);
        return (await ReadAllAsync(command, ReadSession, "read a session", cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <inheritdoc />
    public async Task<Page<Session>> ListAsync(string tenantId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {SessionColumns} FROM sessions
            WHERE tenant_id = @tenant {(cursor is null ? "" : "AND (created_at, id) < (@cursor_time, @cursor_id)")}
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, ReadSession, s => new PageCursor(s.CreatedAt, s.Id), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> UpdateTitleAsync(IStoreTransaction transaction, string tenantId, Guid sessionId, string? title, DateTimeOffset updatedAt, CancellationToken cancellationToken = default)
    {
        using var command = store.Own(transaction).CreateCommand(
            "UPDATE sessions SET title = @title, updated_at = @updated WHERE tenant_id = @tenant AND id = @id");
        command.Add("tenant", tenantId);
        command.Add("id", sessionId);
        command.AddText("title", title);
        command.Add("updated", updatedAt);
        return await ExecuteAsync(command, "update a session", cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(IStoreTransaction transaction, string tenantId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        using var command = store.Own(transaction).CreateCommand("DELETE FROM sessions WHERE tenant_id = @tenant AND id = @id");
        command.Add("tenant", tenantId);
        command.Add("id", sessionId);
        return await ExecuteAsync(command, "delete a session", cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> AppendMessageAsync(IStoreTransaction transaction, SessionMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Inserting through a SELECT on the session makes "no such session (for this tenant)" an outcome, not an error.
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO session_messages (tenant_id, id, session_id, role, content, metadata, created_at)
            SELECT @tenant, @id, @session, @role, @content, @metadata, @created
            FROM sessions WHERE tenant_id = @tenant AND id = @session
            """);
        command.Add("tenant", message.TenantId);
        command.Add("id", message.Id);
        command.Add("session", message.SessionId);
        command.Add("role", message.Role);
        command.Add("content", message.Content);
        command.AddJson("metadata", message.Metadata);
        command.Add("created", message.CreatedAt);
        return await ExecuteAsync(command, "append a message", cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<Page<SessionMessage>> ListMessagesAsync(string tenantId, Guid sessionId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MessageColumns} FROM session_messages
            WHERE tenant_id = @tenant AND session_id = @session {(cursor is null ? "" : "AND (created_at, id) > (@cursor_time, @cursor_id)")}
            ORDER BY created_at, id LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        command.Add("session", sessionId);
        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, ReadMessage, m => new PageCursor(m.CreatedAt, m.Id), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionMessage>> ListRecentMessagesAsync(string tenantId, Guid sessionId, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MessageColumns} FROM session_messages
            WHERE tenant_id = @tenant AND session_id = @session
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        command.Add("session", sessionId);
        command.Add("limit", Math.Max(limit, 0));
        var items = await ReadAllAsync(command, ReadMessage, "read messages", cancellationToken).ConfigureAwait(false);
        items.Reverse();
        return items;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionMessage>> ListMessagesUpToAsync(string tenantId, Guid sessionId, Guid messageId, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MessageColumns} FROM session_messages m
            WHERE tenant_id = @tenant AND session_id = @session AND EXISTS (
                SELECT 1 FROM session_messages x
                WHERE x.tenant_id = @tenant AND x.session_id = @session AND x.id = @message
                  AND (m.created_at, m.id) <= (x.created_at, x.id))
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        command.Add("session", sessionId);
        command.Add("message", messageId);
        command.Add("limit", Math.Max(limit, 0));
        var items = await ReadAllAsync(command, ReadMessage, "read messages", cancellationToken).ConfigureAwait(false);
        items.Reverse();
        return items;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionMessage>> SearchMessagesAsync(string tenantId, Guid sessionId, string query, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var words = query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        var conditions = string.Concat(words.Select((_, i) => $" AND content ILIKE @w{i}"));
        command.CommandText = $"""
            SELECT {MessageColumns} FROM session_messages
            WHERE tenant_id = @tenant AND session_id = @session{conditions}
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        command.Add("session", sessionId);
        command.Add("limit", Math.Max(limit, 0));
        for (var i = 0; i < words.Length; i++)
        {
            // The default LIKE escape character is the backslash.
            command.AddText($"w{i}", "%" + words[i].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%");
        }

        return await ReadAllAsync(command, ReadMessage, "read messages", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long?> AppendEventAsync(IStoreTransaction transaction, SessionEvent sessionEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionEvent);

        // The UPDATE locks the session row: appends to one session take turns and get gap-free numbers in commit order.
        using var command = store.Own(transaction).CreateCommand("""
            WITH next AS (
                UPDATE sessions SET last_seq = last_seq + 1 WHERE tenant_id = @tenant AND id = @session RETURNING last_seq)
            INSERT INTO session_events (tenant_id, session_id, seq, id, type, payload, created_at)
            SELECT @tenant, @session, last_seq, @id, @type, @payload, @created FROM next
            RETURNING seq
            """);
        command.Add("tenant", sessionEvent.TenantId);
        command.Add("session", sessionEvent.SessionId);
        command.Add("id", sessionEvent.EventId);
        command.AddText("type", sessionEvent.Type);
        command.AddText("payload", sessionEvent.Payload);
        command.Add("created", sessionEvent.CreatedAt);
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long sequence ? sequence : null;
        }
        catch (NpgsqlException ex)
        {
            PostgresStoreTransaction.Failed(command.Connection);
            throw PostgresStore.Translate(ex, "append a session event");
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionEvent>> ListEventsAsync(string tenantId, Guid sessionId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT tenant_id, session_id, seq, id, type, payload, created_at FROM session_events
            WHERE tenant_id = @tenant AND session_id = @session AND seq > @after
            ORDER BY seq LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        command.Add("session", sessionId);
        command.Add("after", afterSequence);
        command.Add("limit", Math.Max(limit, 0));
        return await ReadAllAsync(command, r => new SessionEvent(r.GetString(0), r.GetGuid(1), r.GetInt64(2), r.GetGuid(3), r.GetString(4), r.GetString(5), Time(r, 6)), "read session events", cancellationToken).ConfigureAwait(false);
    }

    private static Session ReadSession(DbDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), NullableString(r, 2), NullableString(r, 3), Time(r, 4), Time(r, 5));

    private static SessionMessage ReadMessage(DbDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), r.GetGuid(2), r.GetString(3), r.GetString(4), NullableString(r, 5), Time(r, 6));
}
