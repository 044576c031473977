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
    public async Task Decisions_filter_by_action_resource_decision_and_time_newest_first_in_pages()
    {
        var tenant = NewTenant();
        var other = NewTenant();
        // Twelve tool decisions over six seconds, two at each second: the id breaks the tie within a page boundary.
        var calls = Enumerable.Range(0, 12).Select(i => Decision(tenant, i % 3 == 0 ? "tool/math.evaluate" : "tool/time.now", i % 2 == 0 ? "deny" : "allow", Start.AddSeconds(i / 2))).ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var r in calls)
            {
                await Audit.AppendAsync(tx, r);
            }

            // Same resource and decision, but another action or another tenant: never listed.
            await Audit.AppendAsync(tx, Record(tenant, "memory.flush", Start.AddSeconds(1)) with { Resource = "tool/math.evaluate", Decision = "deny" });
            await Audit.AppendAsync(tx, Decision(other, "tool/math.evaluate", "deny", Start.AddSeconds(1)));
        });

        static IEnumerable<Guid> Expected(IEnumerable<AuditRecord> records) => records.OrderByDescending(r => r.Time).ThenByDescending(r => r.Id).Select(r => r.Id);

        var denials = await ListAllAsync(tenant, new AuditQuery("tool.call", Decision: "deny"), pageSize: 2);
        Assert.Equal(Expected(calls.Where(r => r.Decision == "deny")), denials.Select(r => r.Id));

        var math = await ListAllAsync(tenant, new AuditQuery("tool.call", "tool/math.evaluate"), pageSize: 3);
        Assert.Equal(Expected(calls.Where(r => r.Resource == "tool/math.evaluate")), math.Select(r => r.Id));

        var mathDenied = await ListAllAsync(tenant, new AuditQuery("tool.call", "tool/math.evaluate", "deny"), pageSize: 1);
        Assert.Equal(Expected(calls.Where(r => r.Resource == "tool/math.evaluate" && r.Decision == "deny")), mathDenied.Select(r => r.Id));
        Assert.All(mathDenied, r => Assert.Equal("policy tools.deny", r.Reason));

        // From is inclusive, To exclusive: seconds 2, 3 and 4 of the six.
        var window = await ListAllAsync(tenant, new AuditQuery("tool.call", From: Start.AddSeconds(2), To: Start.AddSeconds(5)), pageSize: 4);
        Assert.Equal(Expected(calls.Where(r => r.Time >= Start.AddSeconds(2) && r.Time < Start.AddSeconds(5))), window.Select(r => r.Id));
        Assert.Equal(6, window.Count);

        var since = await ListAllAsync(tenant, new AuditQuery("tool.call", "tool/time.now", "allow", From: Start.AddSeconds(4)), pageSize: 50);
        Assert.Equal(Expected(calls.Where(r => r.Resource == "tool/time.now" && r.Decision == "allow" && r.Time >= Start.AddSeconds(4))), since.Select(r => r.Id));

        Assert.Empty(await ListAllAsync(tenant, new AuditQuery("tool.call", "tool/shell"), pageSize: 50));
        Assert.Equal(13, (await ListAllAsync(tenant, new AuditQuery(), pageSize: 5)).Count);
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

    private async Task<List<AuditRecord>> ListAllAsync(string tenant, AuditQuery query, int pageSize)
    {
        var seen = new List<AuditRecord>();
        string? cursor = null;
        do
        {
            var page = await Audit.ListAsync(tenant, new PageRequest(pageSize, cursor), query);
            Assert.True(page.Items.Count <= pageSize);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return seen;
    }

    private static AuditRecord Decision(string tenant, string resource, string decision, DateTimeOffset time) =>
        new(Guid.CreateVersion7(), tenant, time, "user:alice", "tool.call", resource, decision, decision == "deny" ? "policy tools.deny" : null, "rev-1", null, null);

    private static AuditRecord Record(string tenant, string action, DateTimeOffset time) =>
        new(Guid.CreateVersion7(), tenant, time, "user:alice", action, "session/1", "allow", null, null, null, null);
}
