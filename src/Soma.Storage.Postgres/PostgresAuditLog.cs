using System.Data.Common;
using System.Text;
using Npgsql;
using Soma.Core.Storage;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>The append-only audit log on PostgreSQL.</summary>
internal sealed class PostgresAuditLog(PostgresStore store) : IAuditLog
{
    /// <inheritdoc />
    public async Task AppendAsync(IStoreTransaction transaction, AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var command = store.Own(transaction).CreateCommand("""
            INSERT INTO audit_log (tenant_id, id, time, actor, action, resource, decision, reason, policy_revision, trace_id, details)
            VALUES (@tenant, @id, @time, @actor, @action, @resource, @decision, @reason, @revision, @trace, @details)
            """);
        command.Add("tenant", record.TenantId);
        command.Add("id", record.Id);
        command.Add("time", record.Time);
        command.Add("actor", record.Actor);
        command.Add("action", record.Action);
        command.Add("resource", record.Resource);
        command.Add("decision", record.Decision);
        command.AddText("reason", record.Reason);
        command.AddText("revision", record.PolicyRevision);
        command.AddText("trace", record.TraceId);
        command.AddText("details", record.Details);
        await ExecuteAsync(command, "append to the audit log", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Page<AuditRecord>> ListAsync(string tenantId, PageRequest page, AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(query);
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        var where = new StringBuilder("tenant_id = @tenant");
        command.Add("tenant", tenantId);
        Filter(command, where, "action", query.Action);
        Filter(command, where, "resource", query.Resource);
        Filter(command, where, "decision", query.Decision);
        if (query.From is { } from)
        {
            where.Append(" AND time >= @from");
            command.Add("from", from);
        }

        if (query.To is { } to)
        {
            where.Append(" AND time < @to");
            command.Add("to", to);
        }

        if (cursor is not null)
        {
            where.Append(" AND (time, id) < (@cursor_time, @cursor_id)");
        }

        command.CommandText = $"""
            SELECT id, tenant_id, time, actor, action, resource, decision, reason, policy_revision, trace_id, details FROM audit_log
            WHERE {where}
            ORDER BY time DESC, id DESC LIMIT @limit
            """;
        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, Read, r => new PageCursor(r.Time, r.Id), cancellationToken).ConfigureAwait(false);
    }

    // The column doubles as the parameter name: both are fixed strings of this class, never caller input.
    private static void Filter(NpgsqlCommand command, StringBuilder where, string column, string? value)
    {
        if (value is not null)
        {
            where.Append(" AND ").Append(column).Append(" = @").Append(column);
            command.Add(column, value);
        }
    }

    private static AuditRecord Read(DbDataReader r) => new(
        r.GetGuid(0), r.GetString(1), Time(r, 2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        NullableString(r, 7), NullableString(r, 8), NullableString(r, 9), NullableString(r, 10));
}
