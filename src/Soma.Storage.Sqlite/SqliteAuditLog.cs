using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Soma.Core.Storage;
using static Soma.Storage.Sqlite.SqliteCommands;
using static Soma.Storage.Sqlite.SqliteValues;

namespace Soma.Storage.Sqlite;

/// <summary>The append-only audit log on SQLite.</summary>
internal sealed class SqliteAuditLog(SqliteStore store) : IAuditLog
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
    public async Task<Page<AuditRecord>> ListAsync(string tenantId, PageRequest page, AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(query);
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        var where = new StringBuilder("tenant_id = $tenant");
        command.Parameters.AddWithValue("$tenant", tenantId);
        Filter(command, where, "action", "$action", query.Action);
        Filter(command, where, "resource", "$resource", query.Resource);
        Filter(command, where, "decision", "$decision", query.Decision);
        if (query.From is { } from)
        {
            where.Append(" AND time >= $from");
            command.Parameters.AddWithValue("$from", Ticks(from));
        }

        if (query.To is { } to)
        {
            where.Append(" AND time < $to");
            command.Parameters.AddWithValue("$to", Ticks(to));
        }

        if (cursor is not null)
        {
            where.Append(" AND (time < $time OR (time = $time AND id < $after))");
        }

        command.CommandText = $"""
            SELECT id, tenant_id, time, actor, action, resource, decision, reason, policy_revision, trace_id, details FROM audit_log
            WHERE {where}
            ORDER BY time DESC, id DESC LIMIT $limit
            """;
        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, Read, r => new PageCursor(r.Time, r.Id), cancellationToken).ConfigureAwait(false);
    }

    private static void Filter(SqliteCommand command, StringBuilder where, string column, string parameter, string? value)
    {
        if (value is not null)
        {
            where.Append(" AND ").Append(column).Append(" = ").Append(parameter);
            command.Parameters.AddWithValue(parameter, value);
        }
    }

    private static AuditRecord Read(DbDataReader r) => new(
        Id(r, 0), r.GetString(1), Time(r, 2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        NullableString(r, 7), NullableString(r, 8), NullableString(r, 9), NullableString(r, 10));
}
