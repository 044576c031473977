using System.Collections.Concurrent;
using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

public sealed class SqliteOutboxCompliance(SqliteEngine engine) : OutboxCompliance<SqliteEngine>(engine);

public sealed class PostgresOutboxCompliance(PostgresEngine engine) : OutboxCompliance<PostgresEngine>(engine);

/// <summary>The outbox contract every engine keeps (see docs/operations/storage.md).</summary>
public abstract class OutboxCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private IOutbox Outbox => Ports.Outbox;

    [Fact]
    public async Task A_committed_append_is_visible_and_claimable()
    {
        var tenant = NewTenant();
        // A time with sub-millisecond digits: the stores keep microseconds, so milliseconds must survive.
        var message = Message(tenant, payload: "{\"hello\":\"wörld ✓\"}", partitionKey: "session-1", createdAt: Start.AddTicks(1_234_567));
        Assert.True(await InTransactionAsync(tx => Outbox.AppendAsync(tx, message)));

        var entry = await Outbox.GetAsync(tenant, message.Id);
        Assert.NotNull(entry);
        Assert.Equal(OutboxStatus.Pending, entry.Status);
        Assert.Equal(0, entry.Attempts);
        Assert.Equal(message.Payload, entry.Message.Payload);
        Assert.Equal("session-1", entry.Message.PartitionKey);
        Assert.Equal(message.CreatedAt.ToUnixTimeMilliseconds(), entry.Message.CreatedAt.ToUnixTimeMilliseconds());
        Assert.Equal(message with { CreatedAt = entry.Message.CreatedAt }, entry.Message);

        var claimed = await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 10, Lease));
        Assert.Equal(message.Id, Assert.Single(claimed).Message.Id);
    }

    [Fact]
    public async Task A_rolled_back_transaction_leaves_no_outbox_row_and_no_other_write()
    {
        var tenant = NewTenant();
        var message = Message(tenant);
        var session = new Session(Guid.CreateVersion7(), tenant, "rolled back", null, Clock.GetUtcNow(), Clock.GetUtcNow());
        await using (var transaction = await Store.BeginAsync())
        {
            Assert.True(await Outbox.AppendAsync(transaction, message));
            await Ports.Sessions.CreateAsync(transaction, session);

            // Disposed without a commit.
        }

        Assert.Null(await Outbox.GetAsync(tenant, message.Id));
        Assert.Null(await Ports.Sessions.GetAsync(tenant, session.Id));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 10, Lease)));
        Assert.DoesNotContain(await Outbox.GetDepthAsync(), d => d.TenantId == tenant);
    }

    [Fact]
    public async Task An_uncommitted_append_is_neither_visible_nor_claimable()
    {
        var tenant = NewTenant();
        var message = Message(tenant);
        await using var transaction = await Store.BeginAsync();
        await Outbox.AppendAsync(transaction, message);

        // Reads never wait for a writer on either engine (WAL, MVCC); a read that blocks fails here instead of hanging.
        Assert.Null(await Outbox.GetAsync(tenant, message.Id).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(await Outbox.GetDepthAsync().WaitAsync(TimeSpan.FromSeconds(10)), d => d.TenantId == tenant);
        var claim = Outbox.ClaimAsync(new OutboxClaimRequest("w1", 10, Lease) { TenantId = tenant });

        // SQLite's single writer makes the claim wait for the transaction; PostgreSQL answers at once. Either way the
        // claim must not hand out the row while it is uncommitted.
        if (await Task.WhenAny(claim, Task.Delay(TimeSpan.FromMilliseconds(300))) == claim)
        {
            Assert.Empty(await claim);
        }

        await transaction.DisposeAsync();
        Assert.Empty(await claim);
    }

    [Fact]
    public async Task A_duplicate_dedupe_key_is_ignored_per_tenant_and_topic_and_the_transaction_still_commits()
    {
        var tenant = NewTenant();
        var first = Message(tenant, dedupeKey: "k1");
        var duplicate = Message(tenant, dedupeKey: "k1");
        var otherTopic = Message(tenant, dedupeKey: "k1", topic: "memory.v1");
        var otherTenant = Message(NewTenant(), dedupeKey: "k1");
        var results = await InTransactionAsync(async tx => new[]
        {
            await Outbox.AppendAsync(tx, first),
            await Outbox.AppendAsync(tx, duplicate),
            await Outbox.AppendAsync(tx, otherTopic),
            await Outbox.AppendAsync(tx, otherTenant),
        });

        Assert.Equal([true, false, true, true], results);
        Assert.NotNull(await Outbox.GetAsync(tenant, first.Id));
        Assert.Null(await Outbox.GetAsync(tenant, duplicate.Id));
        Assert.NotNull(await Outbox.GetAsync(tenant, otherTopic.Id));

        // In a later transaction too.
        Assert.False(await InTransactionAsync(tx => Outbox.AppendAsync(tx, Message(tenant, dedupeKey: "k1"))));
    }

    [Fact]
    public async Task An_event_appended_again_is_kept_once_with_its_first_payload_whether_alone_or_in_a_batch()
    {
        // An event's dedupe key is its id: the row is kept once by its id, not by an entry in the dedupe index.
        var tenant = NewTenant();
        var first = Message(tenant, payload: "{\"n\":1}");
        var again = first with { Payload = "{\"n\":2}" };
        var results = await InTransactionAsync(async tx => new[]
        {
            await Outbox.AppendAsync(tx, first),
            await Outbox.AppendAsync(tx, again),
        });

        Assert.Equal([true, false], results);
        Assert.False(await InTransactionAsync(tx => Outbox.AppendAsync(tx, again)));
        var next = Message(tenant);
        await InTransactionAsync(tx => Outbox.AppendManyAsync(tx, [again, next, next with { Payload = "{\"n\":3}" }]));

        Assert.Equal("{\"n\":1}", (await Outbox.GetAsync(tenant, first.Id))!.Message.Payload);
        Assert.Equal("{}", (await Outbox.GetAsync(tenant, next.Id))!.Message.Payload);
    }

    [Fact]
    public async Task Claims_are_oldest_first_bounded_by_batch_and_filtered_by_tenant_and_topic()
    {
        var tenant = NewTenant();
        var other = NewTenant();
        var messages = new List<OutboxMessage>();
        for (var i = 0; i < 5; i++)
        {
            messages.Add(Message(tenant, createdAt: Start.AddSeconds(10 - i)));
        }

        var memory = Message(tenant, topic: "memory.v1", createdAt: Start.AddSeconds(-100));
        var foreign = Message(other, createdAt: Start.AddSeconds(-200));
        await InTransactionAsync(async tx =>
        {
            foreach (var m in messages.Append(memory).Append(foreign))
            {
                await Outbox.AppendAsync(tx, m);
            }
        });

        var claimed = await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 3, Lease) { TenantId = tenant, Topics = ["conversation.v1"] });
        Assert.Equal(3, claimed.Count);
        Assert.Equal(messages.OrderBy(m => m.CreatedAt).Take(3).Select(m => m.Id), claimed.Select(c => c.Message.Id));
        Assert.All(claimed, c =>
        {
            Assert.Equal("w1", c.LeaseOwner);
            Assert.Equal(1, c.Attempts);
            Assert.Equal(Start + Lease, c.LeaseExpiresAt);
        });

        var rest = await Outbox.ClaimAsync(new OutboxClaimRequest("w2", 10, Lease) { TenantId = tenant, Topics = ["conversation.v1"] });
        Assert.Equal(messages.OrderBy(m => m.CreatedAt).Skip(3).Select(m => m.Id), rest.Select(c => c.Message.Id));
        var memoryOnly = await Outbox.ClaimAsync(new OutboxClaimRequest("w3", 10, Lease) { Topics = ["memory.v1"] });
        Assert.Equal(memory.Id, Assert.Single(memoryOnly).Message.Id);
        var anything = await Outbox.ClaimAsync(new OutboxClaimRequest("w4", 10, Lease));
        Assert.Equal(foreign.Id, Assert.Single(anything).Message.Id);
    }

    [Fact]
    public async Task A_claim_of_several_topics_takes_the_oldest_rows_across_them_in_order_skipping_leased_and_waiting_ones()
    {
        var tenant = NewTenant();
        var messages = Enumerable.Range(0, 9)
            .Select(i => Message(tenant, topic: (i % 3) switch { 0 => "memory.remember", 1 => "memory.link", _ => "conversation.v1" }, createdAt: Start.AddSeconds(i)))
            .ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var m in messages)
            {
                await Outbox.AppendAsync(tx, m);
            }
        });
        var memory = messages.Where(m => m.Topic != "conversation.v1").ToList();
        string[] topics = ["memory.link", "memory.remember", "memory.link"];

        var first = await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 3, Lease) { Topics = topics });
        Assert.Equal(memory.Take(3).Select(m => m.Id), first.Select(c => c.Message.Id));

        // The first row goes back with a later attempt time; the others stay leased to w1.
        await Outbox.ReleaseAsync("w1", [first[0].Message.Id], Start + TimeSpan.FromMinutes(1), "later");
        var second = await Outbox.ClaimAsync(new OutboxClaimRequest("w2", 10, Lease) { TenantId = tenant, Topics = topics });
        Assert.Equal(memory.Skip(3).Select(m => m.Id), second.Select(c => c.Message.Id));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("w3", 10, Lease) { Topics = topics }));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("w3", 10, Lease) { Topics = [] }));
    }

    [Fact]
    public async Task A_claim_of_every_topic_takes_the_oldest_rows_across_all_topics_in_order()
    {
        var tenant = NewTenant();
        string[] topics = ["agent.runs.v1", "memory.remember", "agent.steps.v1", "conversation.v1"];
        var messages = Enumerable.Range(0, 12)
            .Select(i => Message(tenant, topic: topics[i * 7 % topics.Length], createdAt: Start.AddSeconds(i)))
            .ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var m in messages.AsEnumerable().Reverse())
            {
                await Outbox.AppendAsync(tx, m);
            }
        });

        var first = await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 5, Lease) { TenantId = tenant });
        Assert.Equal(messages.Take(5).Select(m => m.Id), first.Select(c => c.Message.Id));
        await Outbox.MarkSentAsync("w1", [.. first.Select(c => c.Message.Id)]);
        var rest = await Outbox.ClaimAsync(new OutboxClaimRequest("w2", 50, Lease) { TenantId = tenant });
        Assert.Equal(messages.Skip(5).Select(m => m.Id), rest.Select(c => c.Message.Id));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("w3", 50, Lease) { TenantId = tenant }));

        // Counted per tenant over every topic: the 7 leased rows are still pending.
        Assert.Equal(7, Assert.Single(await Outbox.GetDepthAsync(), d => d.TenantId == tenant).Pending);
    }

    [Fact]
    public async Task Rows_appended_at_the_same_time_are_claimed_in_id_order()
    {
        var tenant = NewTenant();
        var messages = Enumerable.Range(0, 6).Select(_ => Message(tenant, createdAt: Start)).ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var m in messages.AsEnumerable().Reverse())
            {
                await Outbox.AppendAsync(tx, m);
            }
        });

        var first = await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 4, Lease));
        var second = await Outbox.ClaimAsync(new OutboxClaimRequest("w2", 4, Lease));
        Assert.Equal(messages.OrderBy(m => m.Id).Select(m => m.Id), first.Concat(second).Select(c => c.Message.Id));
        Assert.Equal(2, second.Count);
    }

    [Fact]
    public async Task Eight_concurrent_claimers_never_claim_the_same_row_and_together_claim_every_row()
    {
        var tenants = new[] { NewTenant(), NewTenant(), NewTenant() };
        var ids = new HashSet<Guid>();
        for (var batch = 0; batch < 4; batch++)
        {
            await InTransactionAsync(async tx =>
            {
                for (var i = 0; i < 100; i++)
                {
                    var message = Message(tenants[i % 3], createdAt: Start.AddMilliseconds((batch * 100) + i));
                    ids.Add(message.Id);
                    await Outbox.AppendAsync(tx, message);
                }
            });
        }

        var claims = new ConcurrentBag<(string Owner, Guid Id)>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claimers = Enumerable.Range(0, 8).Select(n => Task.Run(async () =>
        {
            var owner = $"claimer-{n}";
            await go.Task;
            while (await Outbox.ClaimAsync(new OutboxClaimRequest(owner, 10, Lease)) is { Count: > 0 } claimed)
            {
                foreach (var entry in claimed)
                {
                    claims.Add((owner, entry.Message.Id));
                }

                // Give the others a turn, as a dispatcher that delivers its batch would.
                await Task.Yield();
            }
        })).ToArray();
        go.SetResult();
        await Task.WhenAll(claimers);

        var duplicates = claims.GroupBy(c => c.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(duplicates);
        Assert.Equal(ids.Count, claims.Count);
        Assert.True(ids.SetEquals(claims.Select(c => c.Id)));
        Assert.True(claims.Select(c => c.Owner).Distinct().Count() > 1, "the claimers should have raced, not run one after another");
    }

    [Fact]
    public async Task A_live_lease_is_not_claimed_again_but_an_expired_one_is_and_the_old_owner_is_fenced()
    {
        var tenant = NewTenant();
        var message = Message(tenant);
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, message));
        Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("old", 10, Lease)));

        Clock.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("new", 10, Lease)));

        Clock.Advance(TimeSpan.FromSeconds(2));
        var reclaimed = Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("new", 10, Lease)));
        Assert.Equal(message.Id, reclaimed.Message.Id);
        Assert.Equal("new", reclaimed.LeaseOwner);
        Assert.Equal(2, reclaimed.Attempts);

        Assert.Equal(0, await Outbox.MarkSentAsync("old", [message.Id]));
        Assert.Equal(OutboxFailureOutcome.NotOwned, await Outbox.MarkFailedAsync("old", message.Id, "late", Clock.GetUtcNow()));
        Assert.Equal(1, await Outbox.MarkSentAsync("new", [message.Id]));
    }

    [Fact]
    public async Task A_sent_row_is_never_claimed_again_and_only_the_owner_can_mark_it()
    {
        var tenant = NewTenant();
        var mine = Message(tenant, createdAt: Start.AddMilliseconds(-2));
        var theirs = Message(tenant, createdAt: Start.AddMilliseconds(-1));
        await InTransactionAsync(async tx =>
        {
            await Outbox.AppendAsync(tx, mine);
            await Outbox.AppendAsync(tx, theirs);
        });
        await Outbox.ClaimAsync(new OutboxClaimRequest("me", 1, Lease));
        await Outbox.ClaimAsync(new OutboxClaimRequest("them", 1, Lease));

        Assert.Equal(1, await Outbox.MarkSentAsync("me", [mine.Id, theirs.Id]));
        Clock.Advance(TimeSpan.FromSeconds(5));
        var sent = await Outbox.GetAsync(tenant, mine.Id);
        Assert.Equal(OutboxStatus.Sent, sent!.Status);
        Assert.Equal(Start, sent.SentAt);
        Assert.Equal(OutboxStatus.Pending, (await Outbox.GetAsync(tenant, theirs.Id))!.Status);

        Clock.Advance(TimeSpan.FromHours(1));
        var later = await Outbox.ClaimAsync(new OutboxClaimRequest("me", 10, Lease));
        Assert.Equal(theirs.Id, Assert.Single(later).Message.Id);
        Assert.Equal(0, await Outbox.MarkSentAsync("me", [mine.Id]));
    }

    [Fact]
    public async Task A_failure_schedules_the_next_attempt_and_keeps_the_error()
    {
        var tenant = NewTenant();
        var message = Message(tenant);
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, message));
        await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 10, Lease));

        var retryAt = Start.AddMinutes(1);
        Assert.Equal(OutboxFailureOutcome.NotOwned, await Outbox.MarkFailedAsync("intruder", message.Id, "not mine", retryAt));
        Assert.Equal(OutboxFailureOutcome.RetryScheduled, await Outbox.MarkFailedAsync("w1", message.Id, "bus unavailable", retryAt));
        var entry = await Outbox.GetAsync(tenant, message.Id);
        Assert.Equal(OutboxStatus.Pending, entry!.Status);
        Assert.Equal("bus unavailable", entry.LastError);
        Assert.Null(entry.LeaseOwner);
        Assert.Null(entry.LeaseExpiresAt);
        Assert.Equal(1, entry.Attempts);
        Assert.Equal(retryAt, entry.NextAttemptAt);

        // The lease is gone: the former owner can no longer mark the row.
        Assert.Equal(0, await Outbox.MarkSentAsync("w1", [message.Id]));

        Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("w2", 10, Lease)));
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("w2", 10, Lease))).Attempts);
    }

    [Fact]
    public async Task After_max_attempts_a_failure_dead_letters_the_row_which_stays_visible_with_its_last_error()
    {
        var tenant = NewTenant();
        var message = Message(tenant);
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, message));

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var claimed = Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease)));
            Assert.Equal(attempt, claimed.Attempts);
            var outcome = await Outbox.MarkFailedAsync("w", message.Id, $"failure {attempt}", Clock.GetUtcNow());
            Assert.Equal(attempt < 3 ? OutboxFailureOutcome.RetryScheduled : OutboxFailureOutcome.DeadLettered, outcome);
        }

        Clock.Advance(TimeSpan.FromDays(1));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease)));
        var entry = await Outbox.GetAsync(tenant, message.Id);
        Assert.Equal(OutboxStatus.DeadLettered, entry!.Status);
        Assert.Equal("failure 3", entry.LastError);
        Assert.Equal(3, entry.Attempts);

        var dead = Assert.Single(await Outbox.ListDeadLetteredAsync(tenant, 10));
        Assert.Equal(message.Id, dead.Message.Id);
        Assert.Equal("failure 3", dead.LastError);
        Assert.Empty(await Outbox.ListDeadLetteredAsync(NewTenant(), 10));
        Assert.Equal(0, await Outbox.MarkSentAsync("w", [message.Id]));
        Assert.Equal(OutboxFailureOutcome.NotOwned, await Outbox.MarkFailedAsync("w", message.Id, "again", Clock.GetUtcNow()));
        Assert.Equal(OutboxStatus.DeadLettered, (await Outbox.GetAsync(tenant, message.Id))!.Status);
    }

    [Fact]
    public async Task Dead_lettered_rows_are_listed_oldest_first_up_to_the_limit_and_only_for_their_tenant()
    {
        var tenant = NewTenant();
        var other = NewTenant();
        var messages = Enumerable.Range(0, 3).Select(i => Message(tenant, createdAt: Start.AddSeconds(-i))).ToList();
        var foreign = Message(other, createdAt: Start.AddSeconds(-10));
        await InTransactionAsync(async tx =>
        {
            foreach (var m in messages.Append(foreign))
            {
                await Outbox.AppendAsync(tx, m);
            }
        });

        // Every claim's lease runs out; the claim after the last allowed attempt dead-letters them all.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Equal(4, (await Outbox.ClaimAsync(new OutboxClaimRequest("crashing", 10, Lease))).Count);
            Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        }

        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("next", 10, Lease)));
        var oldestTwo = await Outbox.ListDeadLetteredAsync(tenant, 2);
        Assert.Equal(messages.OrderBy(m => m.CreatedAt).Take(2).Select(m => m.Id), oldestTwo.Select(e => e.Message.Id));
        Assert.All(oldestTwo, e => Assert.Equal(OutboxStatus.DeadLettered, e.Status));
        Assert.Equal(3, (await Outbox.ListDeadLetteredAsync(tenant, 10)).Count);
        Assert.Equal(foreign.Id, Assert.Single(await Outbox.ListDeadLetteredAsync(other, 10)).Message.Id);

        var depths = (await Outbox.GetDepthAsync()).ToDictionary(d => d.TenantId);
        Assert.Equal(3, depths[tenant].DeadLettered);
        Assert.Equal(0, depths[tenant].Pending);
        Assert.Null(depths[tenant].OldestPendingAt);
    }

    [Fact]
    public async Task A_row_whose_lease_keeps_expiring_is_dead_lettered_instead_of_looping_forever()
    {
        var tenant = NewTenant();
        var message = Message(tenant);
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, message));
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest($"crashing-{attempt}", 10, Lease)));
            Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        }

        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("next", 10, Lease)));
        var entry = await Outbox.GetAsync(tenant, message.Id);
        Assert.Equal(OutboxStatus.DeadLettered, entry!.Status);
        Assert.Contains("lease", entry.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expire", entry.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3, entry.Attempts);
        Assert.Equal(message.Id, Assert.Single(await Outbox.ListDeadLetteredAsync(tenant, 10)).Message.Id);
    }

    [Fact]
    public async Task Depth_counts_pending_and_dead_lettered_rows_per_tenant_with_the_oldest_pending_time()
    {
        var busy = NewTenant();
        var quiet = NewTenant();
        var oldest = Message(busy, createdAt: Start.AddMinutes(-10));
        var sent = Message(busy, createdAt: Start.AddMinutes(-20));
        var doomed = Message(quiet, createdAt: Start.AddMinutes(-30));
        await InTransactionAsync(async tx =>
        {
            await Outbox.AppendAsync(tx, oldest);
            await Outbox.AppendAsync(tx, Message(busy, createdAt: Start.AddMinutes(-5)));
            await Outbox.AppendAsync(tx, sent);
            await Outbox.AppendAsync(tx, doomed);
        });
        await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease) { TenantId = quiet });
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("w", 1, Lease) { TenantId = busy }));
        await Outbox.MarkSentAsync("w", [sent.Id]);
        await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease) { TenantId = quiet });
        for (var i = 0; i < 2; i++)
        {
            Clock.Advance(Lease + TimeSpan.FromSeconds(1));
            await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease) { TenantId = quiet });
        }

        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease) { TenantId = quiet });

        var depths = (await Outbox.GetDepthAsync()).ToDictionary(d => d.TenantId);
        Assert.Equal(2, depths[busy].Pending);
        Assert.Equal(0, depths[busy].DeadLettered);
        Assert.Equal(oldest.CreatedAt.ToUnixTimeMilliseconds(), depths[busy].OldestPendingAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal(0, depths[quiet].Pending);
        Assert.Equal(1, depths[quiet].DeadLettered);
    }

    [Fact]
    public async Task A_released_row_keeps_its_attempts_and_waits_for_its_next_attempt_time()
    {
        var tenant = NewTenant();
        var message = Message(tenant, topic: "memory.remember");
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, message));

        // Released ten times (the peer was down): never dead-lettered, because a release is not an attempt.
        for (var i = 0; i < 10; i++)
        {
            var claimed = Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease) { TenantId = tenant }));
            Assert.Equal(1, claimed.Attempts);
            Assert.Equal(1, await Outbox.ReleaseAsync("w", [message.Id], Clock.GetUtcNow().AddSeconds(5), "memory service down"));
            Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease) { TenantId = tenant }));
            Clock.Advance(TimeSpan.FromSeconds(6));
        }

        var entry = await Outbox.GetAsync(tenant, message.Id);
        Assert.Equal(OutboxStatus.Pending, entry!.Status);
        Assert.Equal(0, entry.Attempts);
        Assert.Equal("memory service down", entry.LastError);

        // Only the lease owner may release.
        Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease) { TenantId = tenant }));
        Assert.Equal(0, await Outbox.ReleaseAsync("someone-else", [message.Id], Clock.GetUtcNow(), null));
        Assert.Equal(1, await Outbox.MarkSentAsync("w", [message.Id]));
        Assert.Equal(0, await Outbox.ReleaseAsync("w", [message.Id], Clock.GetUtcNow(), null));
    }

    [Fact]
    public async Task Depth_by_topics_counts_only_those_topics()
    {
        var tenant = NewTenant();
        await InTransactionAsync(async tx =>
        {
            await Outbox.AppendAsync(tx, Message(tenant, topic: "memory.remember"));
            await Outbox.AppendAsync(tx, Message(tenant, topic: "memory.link"));
            await Outbox.AppendAsync(tx, Message(tenant, topic: "conversation.v1"));
            await Outbox.AppendAsync(tx, Message(tenant, topic: "memory.v1"));
        });

        var memory = Assert.Single(await Outbox.GetDepthAsync(["memory.remember", "memory.link"]), d => d.TenantId == tenant);
        Assert.Equal(2, memory.Pending);
        Assert.Equal(4, Assert.Single(await Outbox.GetDepthAsync(), d => d.TenantId == tenant).Pending);
        Assert.DoesNotContain(await Outbox.GetDepthAsync(["agent.runs.v1"]), d => d.TenantId == tenant);
    }

    [Fact]
    public async Task A_large_unicode_payload_round_trips_exactly()
    {
        var tenant = NewTenant();
        var payload = "{\"text\":\"" + string.Concat(Enumerable.Repeat("héllo wörld — 你好 🌍 ", 3000)) + "\"}";
        var message = Message(tenant, payload: payload);
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, message));
        Assert.Equal(payload, (await Outbox.GetAsync(tenant, message.Id))!.Message.Payload);
        Assert.Equal(payload, Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("w", 1, Lease))).Message.Payload);
    }

    [Fact]
    public async Task Another_tenants_row_is_not_visible()
    {
        var message = Message(NewTenant());
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, message));
        Assert.Null(await Outbox.GetAsync(NewTenant(), message.Id));
    }

    [Fact]
    public async Task A_partition_lists_in_id_order_whatever_the_delivery_state_and_resumes_after_an_id()
    {
        var tenant = NewTenant();
        var ids = new List<Guid>();
        await InTransactionAsync(async tx =>
        {
            for (var i = 0; i < 5; i++)
            {
                var message = Message(tenant, partitionKey: "run-1") with { Id = Guid.CreateVersion7(Start.AddMilliseconds(i)) };
                ids.Add(message.Id);
                await Outbox.AppendAsync(tx, message);
            }

            await Outbox.AppendAsync(tx, Message(tenant, partitionKey: "run-2"));
            await Outbox.AppendAsync(tx, Message(NewTenant(), partitionKey: "run-1"));
        });
        var claimed = await Outbox.ClaimAsync(new OutboxClaimRequest("w", 2, Lease) { TenantId = tenant });
        await Outbox.MarkSentAsync("w", [.. claimed.Select(c => c.Message.Id)]);

        Assert.Equal(ids, (await Outbox.ListPartitionAsync(tenant, "run-1", null, 100)).Select(e => e.Message.Id));
        Assert.Equal(ids.Skip(2), (await Outbox.ListPartitionAsync(tenant, "run-1", ids[1], 100)).Select(e => e.Message.Id));
        Assert.Equal(ids.Take(3), (await Outbox.ListPartitionAsync(tenant, "run-1", null, 3)).Select(e => e.Message.Id));
        Assert.Empty(await Outbox.ListPartitionAsync(tenant, "run-1", ids[^1], 100));
    }

    [Fact]
    public async Task A_row_left_out_of_the_partition_log_is_not_listed_but_is_delivered_in_its_partition_s_order()
    {
        var tenant = NewTenant();
        var rows = Enumerable.Range(0, 4)
            .Select(i => Message(tenant, partitionKey: "session-1", createdAt: Start.AddMilliseconds(i - 10)) with
            {
                Id = Guid.CreateVersion7(Start.AddMilliseconds(i - 10)),
                InPartitionLog = i % 2 == 0,
            })
            .ToList();
        await InTransactionAsync(async tx =>
        {
            await Outbox.AppendAsync(tx, rows[0]);
            await Outbox.AppendManyAsync(tx, rows[1..]);
        });

        // Listed: only the rows in the partition log. Read by id: every row, with what it was appended with.
        Assert.Equal([rows[0].Id, rows[2].Id], (await Outbox.ListPartitionAsync(tenant, "session-1", null, 100)).Select(e => e.Message.Id));
        Assert.Equal([rows[2].Id], (await Outbox.ListPartitionAsync(tenant, "session-1", rows[0].Id, 100)).Select(e => e.Message.Id));
        foreach (var row in rows)
        {
            Assert.Equal(row, (await Outbox.GetAsync(tenant, row.Id))!.Message);
        }

        // Delivered in the partition's order all the same: the row left out waits while the one before it is leased.
        OutboxClaimRequest Ordered(string owner) => new(owner, 1, Lease) { TenantId = tenant, InPartitionOrder = true };
        Assert.Equal(rows[0].Id, Assert.Single(await Outbox.ClaimAsync(Ordered("a"))).Message.Id);
        Assert.Empty(await Outbox.ClaimAsync(Ordered("b")));
        await Outbox.MarkSentAsync("a", [rows[0].Id]);
        var next = Assert.Single(await Outbox.ClaimAsync(Ordered("b")));
        Assert.Equal(rows[1], next.Message);
    }

    [Fact]
    public async Task In_partition_order_a_row_waits_while_an_earlier_row_of_its_partition_is_leased_or_backs_off()
    {
        var tenant = NewTenant();
        var rows = Enumerable.Range(0, 3)
            .Select(i => Message(tenant, partitionKey: "memory:s1", createdAt: Start.AddMilliseconds(i - 10)) with { Id = Guid.CreateVersion7(Start.AddMilliseconds(i - 10)) })
            .ToList();
        var other = Message(tenant, partitionKey: "memory:s2", createdAt: Start.AddMilliseconds(-1)) with { Id = Guid.CreateVersion7(Start.AddMilliseconds(-1)) };
        await InTransactionAsync(async tx =>
        {
            foreach (var message in rows.Append(other))
            {
                await Outbox.AppendAsync(tx, message);
            }
        });
        OutboxClaimRequest Ordered(string owner, int batch) => new(owner, batch, Lease) { TenantId = tenant, InPartitionOrder = true };

        // A claimer takes the partition's first row and dies holding it: the rest of that partition waits for the lease
        // to run out, another partition does not.
        Assert.Equal(rows[0].Id, Assert.Single(await Outbox.ClaimAsync(Ordered("dead", 1))).Message.Id);
        Assert.Equal([other.Id], (await Outbox.ClaimAsync(Ordered("live", 10))).Select(e => e.Message.Id));
        Assert.Equal(1, await Outbox.MarkSentAsync("live", [other.Id]));
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(rows.Select(r => r.Id), (await Outbox.ClaimAsync(Ordered("live", 10))).Select(e => e.Message.Id));

        // The first row is refused and backs off: the rows after it wait until it is due again.
        Assert.Equal(OutboxFailureOutcome.RetryScheduled, await Outbox.MarkFailedAsync("live", rows[0].Id, "refused", Clock.GetUtcNow().AddMinutes(1)));
        Assert.Equal(2, await Outbox.ReleaseAsync("live", [rows[1].Id, rows[2].Id], Clock.GetUtcNow(), null));
        Assert.Empty(await Outbox.ClaimAsync(Ordered("live", 10)));
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(rows.Select(r => r.Id), (await Outbox.ClaimAsync(Ordered("live", 10))).Select(e => e.Message.Id));
    }

    [Fact]
    public async Task A_claim_marks_the_owners_delivered_rows_sent_first_so_their_partition_moves_on_in_the_same_claim()
    {
        var tenant = NewTenant();
        var rows = Enumerable.Range(0, 4)
            .Select(i => Message(tenant, partitionKey: "memory:s1", createdAt: Start.AddMilliseconds(i - 10)) with { Id = Guid.CreateVersion7(Start.AddMilliseconds(i - 10)) })
            .ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var message in rows)
            {
                await Outbox.AppendAsync(tx, message);
            }
        });
        OutboxClaimRequest Ordered(string owner, int batch, IReadOnlyCollection<Guid>? acknowledged = null) =>
            new(owner, batch, Lease) { TenantId = tenant, InPartitionOrder = true, Acknowledged = acknowledged };

        Assert.Equal([rows[0].Id, rows[1].Id], (await Outbox.ClaimAsync(Ordered("w1", 2))).Select(e => e.Message.Id));

        // Leased and unmarked, the two rows hold their partition back.
        Assert.Empty(await Outbox.ClaimAsync(Ordered("w1", 2)));

        // Marked by the claim itself: the partition's next rows come in the same claim.
        Assert.Equal([rows[2].Id, rows[3].Id], (await Outbox.ClaimAsync(Ordered("w1", 2, [rows[0].Id, rows[1].Id]))).Select(e => e.Message.Id));
        foreach (var sent in rows.Take(2))
        {
            var entry = await Outbox.GetAsync(tenant, sent.Id);
            Assert.Equal(OutboxStatus.Sent, entry!.Status);
            Assert.Null(entry.LeaseOwner);
        }

        // Only the owner's leased rows are marked: another claimer's marks leave them pending, and its claim still runs.
        Assert.Empty(await Outbox.ClaimAsync(Ordered("intruder", 2, [rows[2].Id, rows[3].Id])));
        Assert.Equal(OutboxStatus.Pending, (await Outbox.GetAsync(tenant, rows[2].Id))!.Status);

        // The last marks ride on a claim that finds nothing: nothing is left pending.
        Assert.Empty(await Outbox.ClaimAsync(Ordered("w1", 2, [rows[2].Id, rows[3].Id])));
        foreach (var row in rows)
        {
            Assert.Equal(OutboxStatus.Sent, (await Outbox.GetAsync(tenant, row.Id))!.Status);
        }

        Assert.DoesNotContain(await Outbox.GetDepthAsync(), d => d.TenantId == tenant && d.Pending > 0);
    }

    [Fact]
    public async Task Dead_letter_now_takes_a_leased_row_out_at_once_keeping_its_error_and_only_for_its_owner()
    {
        var tenant = NewTenant();
        var message = Message(tenant);
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, message));
        Assert.Single(await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 10, Lease)));

        Assert.False(await Outbox.DeadLetterAsync("intruder", message.Id, "not mine"));
        Assert.True(await Outbox.DeadLetterAsync("w1", message.Id, "/data/text: required"));
        var entry = await Outbox.GetAsync(tenant, message.Id);
        Assert.Equal(OutboxStatus.DeadLettered, entry!.Status);
        Assert.Equal(1, entry.Attempts);
        Assert.Equal("/data/text: required", entry.LastError);
        Assert.False(await Outbox.DeadLetterAsync("w1", message.Id, "again"));
        Assert.Empty(await Outbox.ClaimAsync(new OutboxClaimRequest("w2", 10, Lease)));
        Assert.Equal(message.Id, Assert.Single(await Outbox.ListDeadLetteredAsync(tenant, 10)).Message.Id);
    }

    [Fact]
    public async Task Pruning_deletes_only_sent_rows_older_than_the_cut_oldest_first_in_batches()
    {
        var tenant = NewTenant();
        var old = Enumerable.Range(0, 5).Select(_ => Message(tenant)).ToList();
        var pending = Message(tenant);
        var dead = Message(tenant);
        await InTransactionAsync(async tx =>
        {
            foreach (var m in old.Append(pending).Append(dead))
            {
                await Outbox.AppendAsync(tx, m);
            }
        });
        var claimed = await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 10, Lease));
        Assert.Equal(7, claimed.Count);
        Assert.Equal(5, await Outbox.MarkSentAsync("w1", [.. old.Select(m => m.Id)]));
        Assert.True(await Outbox.DeadLetterAsync("w1", dead.Id, "refused"));
        Assert.Equal(1, await Outbox.ReleaseAsync("w1", [pending.Id], Clock.GetUtcNow(), null));

        Clock.Advance(TimeSpan.FromHours(2));
        var recent = Message(tenant);
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, recent));
        Assert.Contains(await Outbox.ClaimAsync(new OutboxClaimRequest("w1", 10, Lease)), e => e.Message.Id == recent.Id);
        Assert.Equal(1, await Outbox.MarkSentAsync("w1", [recent.Id]));

        var cut = Clock.GetUtcNow() - TimeSpan.FromHours(1);
        Assert.Equal(3, await Outbox.PruneSentAsync(cut, 3));
        Assert.Equal(2, await Outbox.PruneSentAsync(cut, 3));
        Assert.Equal(0, await Outbox.PruneSentAsync(cut, 3));
        Assert.All(old, m => Assert.Null(Outbox.GetAsync(tenant, m.Id).Result));
        Assert.NotNull(await Outbox.GetAsync(tenant, recent.Id));
        Assert.Equal(OutboxStatus.Pending, (await Outbox.GetAsync(tenant, pending.Id))!.Status);
        Assert.Equal(OutboxStatus.DeadLettered, (await Outbox.GetAsync(tenant, dead.Id))!.Status);
    }

    [Fact]
    public async Task Listing_reads_rows_of_some_topics_in_id_order_by_tenant_time_and_after()
    {
        var (a, b) = (NewTenant(), NewTenant());
        // Ids in time order, as the id generator hands them out (UUIDv7 of the same millisecond have no order).
        var first = Message(a, topic: "agent.runs.v1") with { Id = Guid.CreateVersion7(Clock.GetUtcNow()) };
        Clock.Advance(TimeSpan.FromMinutes(10));
        var second = Message(a, topic: "conversation.v1") with { Id = Guid.CreateVersion7(Clock.GetUtcNow()) };
        var memory = Message(a, topic: "memory.remember");
        var others = Message(b, topic: "agent.runs.v1");
        await InTransactionAsync(async tx =>
        {
            foreach (var m in (OutboxMessage[])[first, second, memory, others])
            {
                await Outbox.AppendAsync(tx, m);
            }
        });

        string[] topics = ["agent.runs.v1", "conversation.v1"];
        Assert.Equal([first.Id, second.Id], (await Outbox.ListAsync(new OutboxQuery(topics, 10) { TenantId = a })).Select(e => e.Message.Id));
        Assert.Equal([second.Id], (await Outbox.ListAsync(new OutboxQuery(topics, 10) { TenantId = a, CreatedFrom = Clock.GetUtcNow().AddMinutes(-1) })).Select(e => e.Message.Id));
        Assert.Equal([second.Id], (await Outbox.ListAsync(new OutboxQuery(topics, 10) { TenantId = a, After = first.Id })).Select(e => e.Message.Id));
        Assert.Equal(3, (await Outbox.ListAsync(new OutboxQuery(topics, 10))).Count(e => e.Message.TenantId == a || e.Message.TenantId == b));
        Assert.Equal([first.Id], (await Outbox.ListAsync(new OutboxQuery(topics, 1) { TenantId = a })).Select(e => e.Message.Id));
    }

    [Fact]
    public async Task A_commit_s_events_in_one_row_are_listed_and_paged_as_events_even_from_inside_the_row()
    {
        var tenant = NewTenant();
        // Seven events of one run in time order: the first alone, then two commits of four and of two (decision 0017).
        var events = Enumerable.Range(0, 7).Select(i => Message(
                tenant, topic: i % 2 == 0 ? "agent.steps.v1" : "agent.runs.v1", payload: $"{{\"n\": {i}, \"text\": \"wörld ✓ {i}\"}}", partitionKey: "run-1",
                createdAt: Start.AddMilliseconds(i)))
            .Select((e, i) => Guid.CreateVersion7(Start.AddMilliseconds(i)) is var id ? e with { Id = id, DedupeKey = id.ToString() } : e)
            .ToList();
        var rows = new[] { events[..1], OutboxBundles.Pack(events[1..5]), OutboxBundles.Pack(events[5..]) };
        Assert.All(rows, r => Assert.Single(r));
        await InTransactionAsync(async tx =>
        {
            foreach (var row in rows)
            {
                await Outbox.AppendManyAsync(tx, row);
            }
        });

        // The whole log, then from inside a row, from a row's last event, and page by page: the events, each whole.
        var listed = await Outbox.ListPartitionAsync(tenant, "run-1", null, 100);
        Assert.Equal(events.Select(e => (e.Id, e.Topic, e.Payload)), listed.Select(e => (e.Message.Id, e.Message.Topic, e.Message.Payload)));
        Assert.Equal(events.Select(e => e.CreatedAt.ToUnixTimeMilliseconds()), listed.Select(e => e.Message.CreatedAt.ToUnixTimeMilliseconds()));
        Assert.Equal(events.Skip(3).Select(e => e.Id), (await Outbox.ListPartitionAsync(tenant, "run-1", events[2].Id, 100)).Select(e => e.Message.Id));
        Assert.Equal(events.Skip(5).Select(e => e.Id), (await Outbox.ListPartitionAsync(tenant, "run-1", events[4].Id, 100)).Select(e => e.Message.Id));
        var paged = new List<Guid>();
        Guid? after = null;
        while (await Outbox.ListPartitionAsync(tenant, "run-1", after, 2) is { Count: > 0 } page)
        {
            Assert.True(page.Count <= 2);
            paged.AddRange(page.Select(e => e.Message.Id));
            after = page[^1].Message.Id;
        }

        Assert.Equal(events.Select(e => e.Id), paged);

        // Listing by topic answers only the events of that topic, inside rows too, by time and after an event.
        string[] steps = ["agent.steps.v1"];
        Assert.Equal([events[0].Id, events[2].Id, events[4].Id, events[6].Id], (await Outbox.ListAsync(new OutboxQuery(steps, 10) { TenantId = tenant })).Select(e => e.Message.Id));
        Assert.Equal([events[4].Id, events[6].Id], (await Outbox.ListAsync(new OutboxQuery(steps, 10) { TenantId = tenant, After = events[2].Id })).Select(e => e.Message.Id));
        Assert.Equal([events[4].Id, events[6].Id], (await Outbox.ListAsync(new OutboxQuery(steps, 10) { TenantId = tenant, CreatedFrom = Start.AddMilliseconds(3) })).Select(e => e.Message.Id));
        Assert.Equal([events[0].Id, events[2].Id], (await Outbox.ListAsync(new OutboxQuery(steps, 2) { TenantId = tenant })).Select(e => e.Message.Id));

        // Delivery claims rows: three, the events of a commit together, in order.
        var claimed = await Outbox.ClaimAsync(new OutboxClaimRequest("w", 10, Lease) { TenantId = tenant });
        Assert.Equal([events[0].Id, events[4].Id, events[6].Id], claimed.Select(c => c.Message.Id));
        Assert.Equal(events[1..5].Select(e => e.Id), OutboxBundles.Unpack(claimed[1].Message).Select(e => e.Id));
    }

    [Fact]
    public async Task Appending_many_stores_each_row_as_single_appends_would_and_skips_existing_and_repeated_keys()
    {
        var tenant = NewTenant();
        var existing = Message(tenant, dedupeKey: "key-existing");
        await InTransactionAsync(tx => Outbox.AppendAsync(tx, existing));

        var rows = new[]
        {
            Message(tenant, payload: "{\"n\":1}", partitionKey: "run-1", createdAt: Start.AddTicks(10)),
            Message(tenant, dedupeKey: "key-existing", payload: "{\"n\":2}"),
            Message(tenant, dedupeKey: "key-twice", payload: "{\"n\":3}", partitionKey: "run-1"),
            Message(tenant, dedupeKey: "key-twice", payload: "{\"n\":4}"),
            Message(tenant, payload: "{\"n\":5}", topic: "agent.runs.v1"),
        };
        await InTransactionAsync(tx => Outbox.AppendManyAsync(tx, rows));

        var stored = await Outbox.ListAsync(new OutboxQuery(["conversation.v1", "agent.runs.v1"], 50) { TenantId = tenant });
        Assert.Equal(["{\"n\":1}", "{\"n\":3}", "{\"n\":5}", "{}"], stored.Select(e => e.Message.Payload).Order(StringComparer.Ordinal));
        var first = stored.Single(e => e.Message.Id == rows[0].Id).Message;
        Assert.Equal(rows[0] with { CreatedAt = first.CreatedAt }, first);
        Assert.Equal(rows[0].CreatedAt.ToUnixTimeMilliseconds(), first.CreatedAt.ToUnixTimeMilliseconds());

        // Rolled back with its transaction, as single appends are.
        var lost = new[] { Message(tenant), Message(tenant) };
        await using (var transaction = await Store.BeginAsync())
        {
            await Outbox.AppendManyAsync(transaction, lost);
        }

        foreach (var message in lost)
        {
            Assert.Null(await Outbox.GetAsync(tenant, message.Id));
        }

        await InTransactionAsync(tx => Outbox.AppendManyAsync(tx, []));
    }

    private OutboxMessage Message(
        string tenant, string? dedupeKey = null, string topic = "conversation.v1", string payload = "{}", string? partitionKey = null, DateTimeOffset? createdAt = null) =>
        OutboxRows.New(tenant, createdAt ?? Clock.GetUtcNow(), payload, topic, dedupeKey, partitionKey);
}
