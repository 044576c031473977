using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// Sessions, runs and audit decisions written while the newest-first indexes were declared DESC are listed the same,
/// page by page, once migration 0017 has made those indexes ascending; and the listings read them backwards, unsorted.
/// </summary>
public sealed class SqliteNewestFirstIndexTests : IDisposable
{
    private const string Ascending = "0017_newest_first_indexes_ascending";
    private static readonly string[] Indexes = ["sessions_newest", "runs_newest", "audit_log_by_action", "audit_log_by_resource"];
    private readonly TempDirectory _directory = new("soma-newest-first");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Rows_written_under_the_descending_indexes_are_listed_newest_first_page_by_page_after_the_migration()
    {
        var path = Path.Combine(_directory.Path, "soma.db");
        SqliteEngine.MigrateUpTo(path, Ascending);
        Assert.All(Indexes, index => Assert.True(Descending(path, index), $"{index} is DESC before the migration"));
        var clock = TimeProvider.System;
        var start = clock.GetUtcNow().AddHours(-1);

        // Two rows share each time (the id breaks the tie); another tenant's rows are interleaved.
        var sessions = Enumerable.Range(0, 12)
            .Select(i => new Session(Guid.CreateVersion7(), i % 4 == 3 ? "other" : "acme", $"s{i}", null, start.AddSeconds(i / 2), start.AddSeconds(i / 2)))
            .ToList();
        var runs = Enumerable.Range(0, 12)
            .Select(i => new RunRecord(Guid.CreateVersion7(), i % 4 == 3 ? "other" : "acme", i % 3 == 0 ? "demo.a" : "demo.b", 1, RunState.Accepted, 0, 0, "{}", start.AddSeconds(i / 2), start.AddSeconds(i / 2)))
            .ToList();
        var decisions = Enumerable.Range(0, 12)
            .Select(i => new AuditRecord(Guid.CreateVersion7(), i % 4 == 3 ? "other" : "acme", start.AddSeconds(i / 2), "user:alice", i % 3 == 0 ? "tool.call" : "session.delete", $"tool/t{i % 2}", "allow", null, null, null, null))
            .ToList();
        await using (var before = SqliteEngine.Open(path, clock))
        {
            await using var transaction = await before.Store.BeginAsync();
            foreach (var i in Enumerable.Range(0, 12).Reverse())
            {
                await before.Sessions.CreateAsync(transaction, sessions[i]);
                await before.Runs.CreateAsync(transaction, runs[i]);
                await before.Audit.AppendAsync(transaction, decisions[i]);
            }

            await transaction.CommitAsync();
        }

        await using var after = SqliteEngine.Open(path, clock);
        Assert.Equal(Ascending, (await after.Store.MigrateAsync())[0]);
        Assert.All(Indexes, index => Assert.False(Descending(path, index), $"{index} is ascending after the migration"));

        Assert.Equal(NewestFirst(sessions, s => s.TenantId, s => s.CreatedAt, s => s.Id), await AllPagesAsync(cursor => after.Sessions.ListAsync("acme", new PageRequest(3, cursor)), s => s.Id));
        Assert.Equal(NewestFirst(runs, r => r.TenantId, r => r.CreatedAt, r => r.Id), await AllPagesAsync(cursor => after.Runs.ListAsync("acme", new RunQuery(), new PageRequest(3, cursor)), r => r.Id));
        Assert.Equal(
            NewestFirst(runs.Where(r => r.Workflow == "demo.b"), r => r.TenantId, r => r.CreatedAt, r => r.Id),
            await AllPagesAsync(cursor => after.Runs.ListAsync("acme", new RunQuery(Workflow: "demo.b"), new PageRequest(2, cursor)), r => r.Id));
        Assert.Equal(
            NewestFirst(decisions.Where(d => d.Action == "session.delete"), d => d.TenantId, d => d.Time, d => d.Id),
            await AllPagesAsync(cursor => after.Audit.ListAsync("acme", new PageRequest(2, cursor), "session.delete"), d => d.Id));
        Assert.Equal(
            NewestFirst(decisions.Where(d => d.Action == "session.delete" && d.Resource == "tool/t1"), d => d.TenantId, d => d.Time, d => d.Id),
            await AllPagesAsync(cursor => after.Audit.ListAsync("acme", new PageRequest(2, cursor), new AuditQuery("session.delete", "tool/t1")), d => d.Id));

        // The listings' shapes, first page and later pages: each reads its index, backwards, and sorts nothing.
        const string After = " AND (created_at < 1 OR (created_at = 1 AND id < 'x'))";
        const string AuditAfter = " AND (time < 1 OR (time = 1 AND id < 'x'))";
        foreach (var (sql, index) in new[]
        {
            ("SELECT * FROM sessions WHERE tenant_id = 'acme' ORDER BY created_at DESC, id DESC LIMIT 3", "sessions_newest"),
            ($"SELECT * FROM sessions WHERE tenant_id = 'acme'{After} ORDER BY created_at DESC, id DESC LIMIT 3", "sessions_newest"),
            ($"SELECT * FROM runs WHERE tenant_id = 'acme'{After} ORDER BY created_at DESC, id DESC LIMIT 3", "runs_newest"),
            ($"SELECT * FROM audit_log WHERE tenant_id = 'acme' AND action = 'tool.call'{AuditAfter} ORDER BY time DESC, id DESC LIMIT 3", "audit_log_by_action"),
            ($"SELECT * FROM audit_log WHERE tenant_id = 'acme' AND action = 'tool.call' AND resource = 'tool/t1'{AuditAfter} ORDER BY time DESC, id DESC LIMIT 3", "audit_log_by_resource"),
        })
        {
            var plan = SqliteFile.Plan(path, sql);
            Assert.Contains(index, plan, StringComparison.Ordinal);
            Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        }
    }

    private static List<Guid> NewestFirst<T>(IEnumerable<T> rows, Func<T, string> tenant, Func<T, DateTimeOffset> time, Func<T, Guid> id) =>
        rows.Where(r => tenant(r) == "acme").OrderByDescending(time).ThenByDescending(r => id(r).ToString(), StringComparer.Ordinal).Select(id).ToList();

    private static async Task<List<Guid>> AllPagesAsync<T>(Func<string?, Task<Page<T>>> list, Func<T, Guid> id)
    {
        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await list(cursor);
            seen.AddRange(page.Items.Select(id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return seen;
    }

    // Whether the index's time column is declared DESC (PRAGMA index_xinfo: one row per column, `desc` is 1 for DESC).
    private static bool Descending(string path, string index) =>
        SqliteFile.Scalar(path, $"SELECT max(desc) FROM pragma_index_xinfo('{index}') WHERE key = 1") is long flag
            ? flag == 1
            : throw new InvalidOperationException($"No index {index}.");
}
