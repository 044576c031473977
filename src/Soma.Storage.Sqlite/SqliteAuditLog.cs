using System.Data.Common;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteCommands;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>The append-only audit log on SQLite.</summary>
public sealed class SqliteAuditLog(SqliteStore store) : IAuditLog
{
    /// <inheritdoc />
    public async Task AppendAsync(IStoreTransaction transaction, AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO audit_log (tenant_id, id, time, actor, action, resource, decision, reason, policy_revision, trace_id, details)
            VALUES ($tenant, $id, $time, $actor, $action, $resource, $decision, $reason, $revision, $trace, $details)
            """);
        command.Parameters.AddWithValue("$tenant", record.TenantId);
        command.Parameters.AddWithValue("$id", Id(record.Id));
        command.Parameters.AddWithValue("$time", Ticks(record.Time));
        command.Parameters.AddWithValue("$actor", record.Actor);
        command.Parameters.AddWithValue("$action", record.Action);
        command.Parameters.AddWithValue("$resource", record.Resource);
        command.Parameters.AddWithValue("$decision", record.Decision);
        command.Parameters.AddWithValue("$reason", OrNull(record.Reason));
        command.Parameters.AddWithValue("$revision", OrNull(record.PolicyRevision));
        command.Parameters.AddWithValue("$trace", OrNull(record.TraceId));
        command.Parameters.AddWithValue("$details", OrNull(record.Details));
        await ExecuteAsync(command, "append to the audit log", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Page<AuditRecord>> ListAsync(string tenantId, PageRequest page, string? action = null, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT id, tenant_id, time, actor, action, resource, decision, reason, policy_revision, trace_id, details FROM audit_log
            WHERE tenant_id = $tenant{(action is null ? "" : " AND action = $action")}{(cursor is null ? "" : " AND (time < $time OR (time = $time AND id < $after))")}
            ORDER BY time DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenantId);
        if (action is not null)
        {
            command.Parameters.AddWithValue("$action", action);
        }

        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, Read, r => new PageCursor(r.Time, r.Id), cancellationToken).ConfigureAwait(false);
    }

    private static AuditRecord Read(DbDataReader r) => new(
        Id(r, 0), r.GetString(1), Time(r, 2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        NullableString(r, 7), NullableString(r, 8), NullableString(r, 9), NullableString(r, 10));
}
