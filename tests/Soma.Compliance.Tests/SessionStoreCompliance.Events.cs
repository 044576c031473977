using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

/// <summary>
/// The session event log: per-session sequence numbers 1, 2, 3… handed out in commit order without gaps, which is
/// what lets a client resume a stream from <c>Last-Event-ID</c> without missing or repeating an event.
/// </summary>
public abstract partial class SessionStoreCompliance<TEngine>
{
    [Fact]
    public async Task Each_session_numbers_its_events_from_1_and_lists_them_in_order_with_every_field()
    {
        var tenant = NewTenant();
        var first = await CreateSessionAsync(tenant);
        var second = await CreateSessionAsync(tenant);
        var appended = new List<SessionEvent>();
        var sequences = new List<(Guid Session, long? Sequence)>();
        for (var i = 0; i < 3; i++)
        {
            foreach (var session in new[] { first, second })
            {
                var e = NewEvent(session, $"conversation.e{i}", ComplianceSuite<TEngine>.Start.AddMilliseconds(i));
                appended.Add(e);
                sequences.Add((session.Id, await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, e))));
            }
        }

        Assert.Equal([1, 2, 3], sequences.Where(s => s.Session == first.Id).Select(s => s.Sequence));
        Assert.Equal([1, 2, 3], sequences.Where(s => s.Session == second.Id).Select(s => s.Sequence));

        var listed = await Sessions.ListEventsAsync(tenant, first.Id, 0, 100);
        Assert.Equal(
            appended.Where(e => e.SessionId == first.Id).Select((e, i) => e with { Sequence = i + 1 }),
            listed);
    }

    [Fact]
    public async Task Listing_returns_the_events_after_a_sequence_up_to_the_limit()
    {
        var tenant = NewTenant();
        var session = await CreateSessionAsync(tenant);
        await InTransactionAsync(async tx =>
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(i + 1, await Sessions.AppendEventAsync(tx, NewEvent(session, $"e{i}")));
            }
        });

        Assert.Equal([4, 5], (await Sessions.ListEventsAsync(tenant, session.Id, 3, 2)).Select(e => e.Sequence));
        Assert.Equal([9, 10], (await Sessions.ListEventsAsync(tenant, session.Id, 8, 100)).Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), (await Sessions.ListEventsAsync(tenant, session.Id, 0, 10)).Select(e => e.Sequence));
        Assert.Empty(await Sessions.ListEventsAsync(tenant, session.Id, 10, 100));
        Assert.Empty(await Sessions.ListEventsAsync(tenant, session.Id, 1000, 100));
        Assert.Empty(await Sessions.ListEventsAsync(tenant, session.Id, 0, 0));
        Assert.Equal(["e0", "e1", "e2"], (await Sessions.ListEventsAsync(tenant, session.Id, 0, 3)).Select(e => e.Type));
    }

    [Fact]
    public async Task An_unknown_session_or_another_tenants_session_gets_no_number_and_nothing_is_written_and_same_ids_keep_separate_logs()
    {
        var owner = NewTenant();
        var intruder = NewTenant();
        var session = await CreateSessionAsync(owner);
        Assert.Equal(1, await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, NewEvent(session, "mine"))));

        Assert.Null(await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, NewEvent(session, "injected") with { TenantId = intruder })));
        Assert.Null(await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, NewEvent(session, "orphan") with { SessionId = Guid.CreateVersion7() })));

        Assert.Empty(await Sessions.ListEventsAsync(intruder, session.Id, 0, 100));
        Assert.Equal(["mine"], (await Sessions.ListEventsAsync(owner, session.Id, 0, 100)).Select(e => e.Type));

        // The refused appends consumed no number of the owner's session.
        Assert.Equal(2, await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, NewEvent(session, "next"))));

        // Another tenant's session with the very same id keeps a log of its own.
        var theirs = await CreateSessionAsync(intruder, session.Id);
        Assert.Equal(1, await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, NewEvent(theirs, "theirs"))));
        Assert.Equal(["theirs"], (await Sessions.ListEventsAsync(intruder, session.Id, 0, 100)).Select(e => e.Type));
        Assert.Equal(["mine", "next"], (await Sessions.ListEventsAsync(owner, session.Id, 0, 100)).Select(e => e.Type));
    }

    [Fact]
    public async Task A_rolled_back_append_leaves_no_event_and_does_not_consume_a_number()
    {
        var tenant = NewTenant();
        var session = await CreateSessionAsync(tenant);
        Assert.Equal(1, await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, NewEvent(session, "kept"))));

        await using (var transaction = await Store.BeginAsync())
        {
            Assert.Equal(2, await Sessions.AppendEventAsync(transaction, NewEvent(session, "lost-1")));
            Assert.Equal(3, await Sessions.AppendEventAsync(transaction, NewEvent(session, "lost-2")));
        }

        Assert.Equal(["kept"], (await Sessions.ListEventsAsync(tenant, session.Id, 0, 100)).Select(e => e.Type));
        var next = NewEvent(session, "after");
        Assert.Equal(2, await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, next)));
        var listed = await Sessions.ListEventsAsync(tenant, session.Id, 1, 100);
        Assert.Equal(next with { Sequence = 2 }, Assert.Single(listed));

        // An event appended with its session in one transaction vanishes with it.
        var rolledBack = NewSession(tenant, null, null);
        await using (var transaction = await Store.BeginAsync())
        {
            await Sessions.CreateAsync(transaction, rolledBack);
            Assert.Equal(1, await Sessions.AppendEventAsync(transaction, NewEvent(rolledBack, "created")));
        }

        Assert.Null(await Sessions.GetAsync(tenant, rolledBack.Id));
        Assert.Empty(await Sessions.ListEventsAsync(tenant, rolledBack.Id, 0, 100));
    }

    [Fact]
    public async Task Deleting_a_session_removes_its_events_and_a_session_created_again_starts_at_1()
    {
        var tenant = NewTenant();
        var doomed = await CreateSessionAsync(tenant);
        var survivor = await CreateSessionAsync(tenant);
        await InTransactionAsync(async tx =>
        {
            for (var i = 0; i < 3; i++)
            {
                await Sessions.AppendEventAsync(tx, NewEvent(doomed, "d"));
                await Sessions.AppendEventAsync(tx, NewEvent(survivor, "s"));
            }
        });

        Assert.True(await InTransactionAsync(tx => Sessions.DeleteAsync(tx, tenant, doomed.Id)));

        Assert.Empty(await Sessions.ListEventsAsync(tenant, doomed.Id, 0, 100));
        Assert.Equal(3, (await Sessions.ListEventsAsync(tenant, survivor.Id, 0, 100)).Count);
        Assert.Null(await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, NewEvent(doomed, "late"))));

        await InTransactionAsync(tx => Sessions.CreateAsync(tx, doomed));
        Assert.Empty(await Sessions.ListEventsAsync(tenant, doomed.Id, 0, 100));
        Assert.Equal(1, await InTransactionAsync(tx => Sessions.AppendEventAsync(tx, NewEvent(doomed, "reborn"))));
    }

    /// <summary>
    /// 8 writers append 50 events each to one session, each event in its own transaction, while a reader tails the log
    /// the way a resuming SSE client does (list after the last sequence it saw). The numbers are exactly 1..400; and
    /// because they are handed out in commit order, the tail never skips one: a lower number never commits after a
    /// higher one was visible. On PostgreSQL this exercises the session row lock, on SQLite the single writer.
    /// </summary>
    [Fact]
    public async Task Concurrent_appends_get_exactly_1_to_400_in_commit_order_with_no_gap_and_no_duplicate()
    {
        const int Writers = 8;
        const int PerWriter = 50;
        var tenant = NewTenant();
        var session = await CreateSessionAsync(tenant);
        var writersDone = 0;

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var got = new List<(Guid EventId, long Sequence)>();
            try
            {
                for (var i = 0; i < PerWriter; i++)
                {
                    var e = NewEvent(session, $"w{w}.{i}");
                    await using var transaction = await Store.BeginAsync();
                    var sequence = await Sessions.AppendEventAsync(transaction, e);
                    await transaction.CommitAsync();
                    got.Add((e.EventId, sequence ?? throw new InvalidOperationException("The session vanished.")));
                }
            }
            finally
            {
                // Counted even when a writer fails, so that the tail stops and the failure is what the test reports.
                Interlocked.Increment(ref writersDone);
            }

            return got;
        })).ToArray();

        var tailed = new List<SessionEvent>();
        var tail = Task.Run(async () =>
        {
            long last = 0;
            while (true)
            {
                var done = Volatile.Read(ref writersDone) == Writers;
                var batch = await Sessions.ListEventsAsync(tenant, session.Id, last, 1000);
                foreach (var e in batch)
                {
                    Assert.Equal(last + 1, e.Sequence);
                    last = e.Sequence;
                    tailed.Add(e);
                }

                if (done)
                {
                    return;
                }

                await Task.Delay(2);
            }
        });

        var perWriter = await Task.WhenAll(writers);
        var appended = perWriter.SelectMany(g => g).ToList();
        await tail;

        var all = Enumerable.Range(1, Writers * PerWriter).Select(i => (long)i).ToList();
        Assert.Equal(all, appended.Select(a => a.Sequence).Order());
        Assert.Equal(all, tailed.Select(e => e.Sequence));

        // Each writer saw its own numbers increase, and each event is listed under the number its append returned.
        foreach (var got in perWriter)
        {
            var own = got.Select(g => g.Sequence).ToList();
            Assert.Equal(own.Order(), own);
        }

        var numberOf = appended.ToDictionary(a => a.EventId, a => a.Sequence);
        Assert.All(tailed, e => Assert.Equal(numberOf[e.EventId], e.Sequence));

        var listed = await Sessions.ListEventsAsync(tenant, session.Id, 0, 1000);
        Assert.Equal(all, listed.Select(e => e.Sequence));
        Assert.Equal(Writers * PerWriter, listed.Select(e => e.EventId).Distinct().Count());
        foreach (var after in new long[] { 0, 1, 123, 399, 400 })
        {
            Assert.Equal(all.Where(s => s > after), (await Sessions.ListEventsAsync(tenant, session.Id, after, 1000)).Select(e => e.Sequence));
        }
    }

    private async Task<Session> CreateSessionAsync(string tenant, Guid? id = null)
    {
        var session = NewSession(tenant, null, null) with { Id = id ?? Guid.CreateVersion7() };
        await InTransactionAsync(tx => Sessions.CreateAsync(tx, session));
        return session;
    }

    private SessionEvent NewEvent(Session session, string type, DateTimeOffset? at = null) =>
        new(session.TenantId, session.Id, 0, Guid.CreateVersion7(), type, $"{{\"type\":\"{type}\",\"data\":{{\"text\":\"ü ✓\"}}}}", at ?? Clock.GetUtcNow());
}
