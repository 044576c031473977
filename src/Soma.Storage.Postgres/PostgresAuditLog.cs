using System.Data.Common;
using Soma.Core.Storage;
using static Soma.Storage.Postgres.PostgresCommands;

namespace Soma.Storage.Postgres;

/// <summary>The append-only audit log on PostgreSQL.</summary>
public sealed class PostgresAuditLog(PostgresStore store) : IAuditLog
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
    public async Task<Page<AuditRecord>> ListAsync(string tenantId, PageRequest page, string? action = null, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Parse(page);
        using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT id, tenant_id, time, actor, action, resource, decision, reason, policy_revision, trace_id, details FROM audit_log
            WHERE tenant_id = @tenant{(action is null ? "" : " AND action = @action")}{(cursor is null ? "" : " AND (time, id) < (@cursor_time, @cursor_id)")}
            ORDER BY time DESC, id DESC LIMIT @limit
            """;
        command.Add("tenant", tenantId);
        if (action is not null)
        {
            command.Add("action", action);
        }

        AddPaging(command, page, cursor);
        return await ReadPageAsync(command, page.Limit, Read, r => new PageCursor(r.Time, r.Id), cancellationToken).ConfigureAwait(false);
    }

    private static AuditRecord Read(DbDataReader r) => new(
        r.GetGuid(0), r.GetString(1), Time(r, 2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        NullableString(r, 7), NullableString(r, 8), NullableString(r, 9), NullableString(r, 10));
}
