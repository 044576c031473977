using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// An outbox written before a migration that changed its indexes keeps every row after it: claimed in the same order once
/// its pending indexes became one, listed by partition once the partition log keeps only the rows listed.
/// </summary>
public sealed class SqliteOutboxMigrationTests : IDisposable
{
    private const string OnePendingIndex = "0014_outbox_one_pending_index";
    private const string PartitionLogWhenListed = "0020_outbox_partition_log_only_when_listed";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly TempDirectory _directory = new("soma-outbox-migration");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Rows_pending_before_the_migration_are_claimed_oldest_first_across_topics_and_by_topic_after_it()
    {
        var path = Path.Combine(_directory.Path, "soma.db");
        SqliteEngine.MigrateUpTo(path, OnePendingIndex);
        Assert.True(SqliteEngine.HasIndex(path, "outbox_pending_topic_order"));
        string[] topics = ["agent.runs.v1", "memory.remember", "agent.steps.v1", "conversation.v1"];
        var clock = TimeProvider.System;
        var start = clock.GetUtcNow().AddHours(-1);
        var pending = Enumerable.Range(0, 12).Select(i => OutboxRows.New(i % 5 == 0 ? "other" : "acme", start.AddSeconds(i), topic: topics[i * 7 % topics.Length])).ToList();
        var sent = OutboxRows.New("acme", start.AddSeconds(-1));
        foreach (var message in pending.AsEnumerable().Reverse())
        {
            SqliteFile.InsertOutboxRow(path, message);
        }

        SqliteFile.InsertOutboxRow(path, sent, sentAt: start);

        await using var after = SqliteEngine.Open(path, clock);
        // This migration, then the ones shipped after it.
        Assert.Equal(OnePendingIndex, (await after.Store.MigrateAsync())[0]);
        Assert.True(SqliteEngine.HasIndex(path, "outbox_pending_by_topic"));
        Assert.False(SqliteEngine.HasIndex(path, "outbox_pending"));
        Assert.False(SqliteEngine.HasIndex(path, "outbox_pending_topic"));
        Assert.False(SqliteEngine.HasIndex(path, "outbox_pending_topic_order"));

        Assert.Equal([9L, 3L], (await after.Outbox.GetDepthAsync()).OrderBy(d => d.TenantId, StringComparer.Ordinal).Select(d => d.Pending));
        var runs = await after.Outbox.ClaimAsync(new OutboxClaimRequest("w0", 50, Lease) { Topics = ["agent.runs.v1"] });
        Assert.Equal(pending.Where(m => m.Topic == "agent.runs.v1").Select(m => m.Id), runs.Select(c => c.Message.Id));
        var first = await after.Outbox.ClaimAsync(new OutboxClaimRequest("w1", 4, Lease));
        var rest = await after.Outbox.ClaimAsync(new OutboxClaimRequest("w2", 50, Lease));
        Assert.Equal(pending.Where(m => m.Topic != "agent.runs.v1").Select(m => m.Id), first.Concat(rest).Select(c => c.Message.Id));
        Assert.Equal(4, first.Count);
        Assert.Empty(await after.Outbox.ClaimAsync(new OutboxClaimRequest("w3", 50, Lease)));
    }

    [Fact]
    public async Task Rows_written_before_the_partition_log_kept_only_listed_rows_are_listed_after_it()
    {
        var path = Path.Combine(_directory.Path, "partition-log.db");
        SqliteEngine.MigrateUpTo(path, PartitionLogWhenListed);
        var clock = TimeProvider.System;
        var start = clock.GetUtcNow().AddHours(-1);
        var written = Enumerable.Range(0, 5)
            .Select(i => OutboxRows.New("acme", start.AddSeconds(i), partitionKey: i == 3 ? "run-2" : "run-1") with { Id = Guid.CreateVersion7(start.AddSeconds(i)) })
            .ToList();
        for (var i = 0; i < written.Count; i++)
        {
            SqliteFile.InsertOutboxRow(path, written[i], sentAt: i % 2 == 0 ? start.AddMinutes(1) : null);
        }

        await using var after = SqliteEngine.Open(path, clock);
        Assert.Equal(PartitionLogWhenListed, (await after.Store.MigrateAsync())[0]);
        var unlisted = OutboxRows.New("acme", clock.GetUtcNow(), partitionKey: "run-1") with { InPartitionLog = false };
        await using (var transaction = await after.Store.BeginAsync())
        {
            Assert.True(await after.Outbox.AppendAsync(transaction, unlisted));
            await transaction.CommitAsync();
        }

        Assert.Equal(written.Where(m => m.PartitionKey == "run-1").Select(m => m.Id), (await after.Outbox.ListPartitionAsync("acme", "run-1", null, 100)).Select(e => e.Message.Id));
        Assert.Equal([written[3].Id], (await after.Outbox.ListPartitionAsync("acme", "run-2", null, 100)).Select(e => e.Message.Id));
        Assert.True((await after.Outbox.GetAsync("acme", written[0].Id))!.Message.InPartitionLog);
        Assert.False((await after.Outbox.GetAsync("acme", unlisted.Id))!.Message.InPartitionLog);

        var plan = SqliteFile.Plan(path, "SELECT * FROM outbox WHERE tenant_id = 'acme' AND partition_key = 'run-1' AND in_partition_log = 1 AND id > 'x' ORDER BY id LIMIT 5");
        Assert.Contains("outbox_partition_log", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }
}
