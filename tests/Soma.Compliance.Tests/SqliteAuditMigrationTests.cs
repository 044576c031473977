using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>An audit log written while it had its unread newest-first index lists the same rows, in the same order, after it is dropped.</summary>
public sealed class SqliteAuditMigrationTests : IDisposable
{
    private const string WithoutNewest = "0015_audit_log_without_newest";
    private readonly TempDirectory _directory = new("soma-audit-migration");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Rows_written_before_the_index_went_are_listed_newest_first_with_or_without_an_action_after_it()
    {
        var path = Path.Combine(_directory.Path, "soma.db");
        SqliteEngine.MigrateUpTo(path, WithoutNewest);
        Assert.True(SqliteEngine.HasIndex(path, "audit_log_newest"));
        var clock = TimeProvider.System;
        var start = clock.GetUtcNow().AddHours(-1);

        // Two rows share each time (the id breaks the tie); another tenant's rows are interleaved.
        var rows = Enumerable.Range(0, 10)
            .Select(i => new AuditRecord(Guid.CreateVersion7(), i % 4 == 3 ? "other" : "acme", start.AddSeconds(i / 2), "user:alice", i % 3 == 0 ? "tool.call" : "session.delete", $"tool/t{i % 2}", "allow", null, null, null, null))
            .ToList();
        await using (var before = SqliteEngine.Open(path, clock))
        {
            await using var transaction = await before.Store.BeginAsync();
            foreach (var row in rows.AsEnumerable().Reverse())
            {
                await before.Audit.AppendAsync(transaction, row);
            }

            await transaction.CommitAsync();
        }

        await using var after = SqliteEngine.Open(path, clock);
        Assert.Equal(WithoutNewest, (await after.Store.MigrateAsync())[0]);
        Assert.False(SqliteEngine.HasIndex(path, "audit_log_newest"));
        Assert.True(SqliteEngine.HasIndex(path, "audit_log_by_action"));
        Assert.True(SqliteEngine.HasIndex(path, "audit_log_by_resource"));

        var acme = rows.Where(r => r.TenantId == "acme").OrderByDescending(r => r.Time).ThenByDescending(r => r.Id).ToList();
        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await after.Audit.ListAsync("acme", new PageRequest(3, cursor));
            seen.AddRange(page.Items.Select(r => r.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(acme.Select(r => r.Id), seen);
        Assert.Equal(acme.Where(r => r.Action == "tool.call").Select(r => r.Id), (await after.Audit.ListAsync("acme", new PageRequest(50), "tool.call")).Items.Select(r => r.Id));
        Assert.Equal(
            acme.Where(r => r.Action == "session.delete" && r.Resource == "tool/t1").Select(r => r.Id),
            (await after.Audit.ListAsync("acme", new PageRequest(50), new AuditQuery("session.delete", "tool/t1"))).Items.Select(r => r.Id));
    }
}
