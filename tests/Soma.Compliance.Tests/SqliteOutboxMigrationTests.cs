using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>An outbox written before its pending indexes became one keeps every row, claimed in the same order, after it.</summary>
public sealed class SqliteOutboxMigrationTests : IDisposable
{
    private const string OnePendingIndex = "0014_outbox_one_pending_index";
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
        await using (var before = SqliteEngine.Open(path, clock))
        {
            await using (var transaction = await before.Store.BeginAsync())
            {
                foreach (var message in pending.AsEnumerable().Reverse().Append(sent))
                {
                    Assert.True(await before.Outbox.AppendAsync(transaction, message));
                }

                await transaction.CommitAsync();
            }

            Assert.Equal([sent.Id], (await before.Outbox.ClaimAsync(new OutboxClaimRequest("old", 1, Lease))).Select(c => c.Message.Id));
            await before.Outbox.MarkSentAsync("old", [sent.Id]);
        }

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
}
