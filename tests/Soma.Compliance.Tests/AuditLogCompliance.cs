using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

public sealed class SqliteAuditLogCompliance(SqliteEngine engine) : AuditLogCompliance<SqliteEngine>(engine);

public sealed class PostgresAuditLogCompliance(PostgresEngine engine) : AuditLogCompliance<PostgresEngine>(engine);

/// <summary>The audit log contract every engine keeps.</summary>
public abstract class AuditLogCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    private IAuditLog Audit => Ports.Audit;

    [Fact]
    public async Task Records_round_trip_newest_first_in_pages_filtered_by_action_and_tenant()
    {
        var tenant = NewTenant();
        // Three records share each time: the id breaks the tie, and paging must neither skip nor repeat one.
        var records = Enumerable.Range(0, 9).Select(i => Record(tenant, i % 3 == 0 ? "tool.call" : "session.delete", Start.AddSeconds(i / 3))).ToList();
        var full = records[4] with { Reason = "policy tools.deny_shell", PolicyRevision = "rev-42", TraceId = "4bf92f3577b34da6a3ce929d0e0e4736", Details = "{\"tool\":\"shell\"}" };
        records[4] = full;
        await InTransactionAsync(async tx =>
        {
            foreach (var r in records)
            {
                await Audit.AppendAsync(tx, r);
            }

            await Audit.AppendAsync(tx, Record(NewTenant(), "tool.call", Start));
        });

        var seen = new List<AuditRecord>();
        string? cursor = null;
        do
        {
            var page = await Audit.ListAsync(tenant, new PageRequest(4, cursor));
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(records.OrderByDescending(r => r.Time).ThenByDescending(r => r.Id).Select(r => r.Id), seen.Select(r => r.Id));
        Assert.Equal(full, seen.Single(r => r.Id == full.Id));
        var bare = seen.Single(r => r.Id == records[0].Id);
        Assert.Null(bare.Reason);
        Assert.Null(bare.Details);

        var toolCalls = await Audit.ListAsync(tenant, new PageRequest(50), "tool.call");
        Assert.Equal(records.Where(r => r.Action == "tool.call").OrderByDescending(r => r.Time).ThenByDescending(r => r.Id).Select(r => r.Id), toolCalls.Items.Select(r => r.Id));
        Assert.Null(toolCalls.NextCursor);
    }

    [Fact]
    public async Task A_rolled_back_append_leaves_nothing()
    {
        var tenant = NewTenant();
        await using (var transaction = await Store.BeginAsync())
        {
            await Audit.AppendAsync(transaction, Record(tenant, "tool.call", Start));
        }

        Assert.Empty((await Audit.ListAsync(tenant, new PageRequest())).Items);
    }

    private static AuditRecord Record(string tenant, string action, DateTimeOffset time) =>
        new(Guid.CreateVersion7(), tenant, time, "user:alice", action, "session/1", "allow", null, null, null, null);
}
