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
    public Task AppendAsync(IStoreTransaction transaction, AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        cancellationToken.ThrowIfCancellationRequested();
        store.Own(transaction).Insert("""
            INSERT INTO audit_log (tenant_id, id, time, actor, action, resource, decision, reason, policy_revision, trace_id, details)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
            """, "append to the audit log")
            .Text(1, record.TenantId).Id(2, record.Id).Integer(3, Ticks(record.Time)).Text(4, record.Actor).Text(5, record.Action)
            .Text(6, record.Resource).Text(7, record.Decision).Text(8, record.Reason).Text(9, record.PolicyRevision)
            .Text(10, record.TraceId).Text(11, record.Details)
            .Execute();
        return Task.CompletedTask;
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
