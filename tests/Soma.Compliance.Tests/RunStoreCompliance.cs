using System.Collections.Concurrent;
using Soma.Core.Runs;
using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

public sealed class SqliteRunStoreCompliance(SqliteEngine engine) : RunStoreCompliance<SqliteEngine>(engine);

public sealed class PostgresRunStoreCompliance(PostgresEngine engine) : RunStoreCompliance<PostgresEngine>(engine);

/// <summary>The run, checkpoint and effects-ledger contract every engine keeps.</summary>
public abstract class RunStoreCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private IRunStore Runs => Ports.Runs;

    private ICheckpointStore Checkpoints => Ports.Checkpoints;

    private IEffectsLedger Effects => Ports.Effects;

    [Fact]
    public async Task An_accepted_run_round_trips_and_is_invisible_to_other_tenants()
    {
        var tenant = NewTenant();
        var run = NewRun(tenant) with { IdempotencyKey = "order-1", TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };
        var created = await InTransactionAsync(tx => Runs.CreateAsync(tx, run));
        Assert.Equal(run, created);

        var read = await Runs.GetAsync(tenant, run.Id);
        Assert.Equal(run, read);
        Assert.Null(await Runs.GetAsync(NewTenant(), run.Id));
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_run_and_adds_nothing()
    {
        var tenant = NewTenant();
        var first = NewRun(tenant) with { IdempotencyKey = "k" };
        var second = NewRun(tenant) with { IdempotencyKey = "k", Input = "{\"other\":true}" };
        await InTransactionAsync(tx => Runs.CreateAsync(tx, first));
        var answer = await InTransactionAsync(tx => Runs.CreateAsync(tx, second));

        Assert.Equal(first.Id, answer.Id);
        Assert.Equal(first.Input, answer.Input);
        Assert.Null(await Runs.GetAsync(tenant, second.Id));

        // Another tenant may use the same key.
        var other = NewRun(NewTenant()) with { IdempotencyKey = "k" };
        Assert.Equal(other.Id, (await InTransactionAsync(tx => Runs.CreateAsync(tx, other))).Id);
    }

    [Fact]
    public async Task An_accepted_runs_events_are_written_with_it_and_a_run_its_key_already_names_writes_none()
    {
        var tenant = NewTenant();
        OutboxMessage Event(string payload, Guid run)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(1)); // each its own time: the outbox's order is time, then id
            return OutboxRows.New(tenant, Clock.GetUtcNow(), payload, "run.v1", partitionKey: run.ToString());
        }

        // Added as its transaction's only write and as one write among others: its events are written with it, and the
        // transaction's callbacks run at the caller's commit.
        var runs = new[] { NewRun(tenant) with { IdempotencyKey = "order-7" }, NewRun(tenant) };
        var called = 0;
        foreach (var (run, last) in runs.Zip([true, false]))
        {
            await using var transaction = await Store.BeginAsync();
            var events = new[] { Event($"{{\"accepted\":\"{run.Id}\"}}", run.Id), Event($"{{\"started\":\"{run.Id}\"}}", run.Id) };
            Assert.Equal(run, await Runs.CreateAsync(transaction, new RunAcceptance(run) { Events = events, Last = last }));
            transaction.OnCommitted(() => called++);
            Assert.Equal(0, called);
            await transaction.CommitAsync();
            Assert.Equal(1, called);
            called = 0;
        }

        // The same key again, as the transaction's last write and not: the first run is the answer, nothing is written.
        foreach (var last in new[] { true, false })
        {
            var again = NewRun(tenant) with { IdempotencyKey = "order-7" };
            await using var transaction = await Store.BeginAsync();
            var answer = await Runs.CreateAsync(transaction, new RunAcceptance(again) { Events = [Event("{\"again\":1}", again.Id)], Last = last });
            await transaction.CommitAsync();
            Assert.Equal(runs[0], answer);
            Assert.Null(await Runs.GetAsync(tenant, again.Id));
        }

        var claimed = await Ports.Outbox.ClaimAsync(new OutboxClaimRequest("reader", 50, Lease) { TenantId = tenant });
        Assert.Equal(
            runs.SelectMany(r => new[] { $"{{\"accepted\":\"{r.Id}\"}}", $"{{\"started\":\"{r.Id}\"}}" }),
            claimed.OrderBy(e => e.Message.CreatedAt).Select(e => e.Message.Payload));
    }

    [Fact]
    public async Task A_rolled_back_acceptance_leaves_no_run()
    {
        var run = NewRun(NewTenant());
        await using (var transaction = await Store.BeginAsync())
        {
            await Runs.CreateAsync(transaction, run);
        }

        Assert.Null(await Runs.GetAsync(run.TenantId, run.Id));
        Assert.Empty(await Runs.AcquireAsync(new RunLeaseRequest("w", 10, Lease)));
    }

    [Fact]
    public async Task Listing_is_newest_first_filtered_and_paged()
    {
        var tenant = NewTenant();
        var runs = Enumerable.Range(0, 7).Select(i => NewRun(tenant, Start.AddSeconds(i)) with { Workflow = i % 2 == 0 ? "demo.pipeline" : "demo.approval" }).ToList();
        await InTransactionAsync(async tx =>
        {
            foreach (var run in runs)
            {
                await Runs.CreateAsync(tx, run);
            }
        });

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await Runs.ListAsync(tenant, new RunQuery(), new PageRequest(3, cursor));
            seen.AddRange(page.Items.Select(r => r.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(runs.OrderByDescending(r => r.CreatedAt).Select(r => r.Id), seen);
        var approvals = await Runs.ListAsync(tenant, new RunQuery(Workflow: "demo.approval"), new PageRequest(50));
        Assert.Equal(3, approvals.Items.Count);
        Assert.Empty((await Runs.ListAsync(tenant, new RunQuery(State: RunState.Succeeded), new PageRequest(50))).Items);
        Assert.Equal(7, (await Runs.ListAsync(tenant, new RunQuery(State: RunState.Accepted), new PageRequest(50))).Items.Count);
    }

    [Fact]
    public async Task Workers_never_acquire_the_same_run_and_an_expired_lease_is_taken_over()
    {
        var tenant = NewTenant();
        var ids = new List<Guid>();
        await InTransactionAsync(async tx =>
        {
            for (var i = 0; i < 60; i++)
            {
                var run = NewRun(tenant, Start.AddMilliseconds(i));
                ids.Add(run.Id);
                await Runs.CreateAsync(tx, run);
            }
        });

        var acquired = new ConcurrentBag<Guid>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, 6).Select(n => Task.Run(async () =>
        {
            await go.Task;
            while (await Runs.AcquireAsync(new RunLeaseRequest($"worker-{n}", 4, Lease)) is { Count: > 0 } runs)
            {
                foreach (var run in runs)
                {
                    Assert.Equal($"worker-{n}", run.LeaseOwner);
                    acquired.Add(run.Id);
                }

                await Task.Yield();
            }
        })).ToArray();
        go.SetResult();
        await Task.WhenAll(workers);
        Assert.Equal(ids.Order(), acquired.Order());

        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var takenOver = await Runs.AcquireAsync(new RunLeaseRequest("rescuer", 100, Lease));
        Assert.Equal(60, takenOver.Count);
        Assert.All(takenOver, r => Assert.Equal("rescuer", r.LeaseOwner));
    }

    [Fact]
    public async Task A_commit_is_a_compare_and_swap_a_stale_or_fenced_writer_changes_nothing()
    {
        var tenant = NewTenant();
        var run = NewRun(tenant);
        await InTransactionAsync(tx => Runs.CreateAsync(tx, run));
        var leased = Assert.Single(await Runs.AcquireAsync(new RunLeaseRequest("w1", 1, Lease)));
        Assert.Equal(0, leased.Version);

        var first = await InTransactionAsync(tx => Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 0, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, "{\"steps\":{\"a\":1}}") }));
        Assert.Equal(new RunCommitResult(true, 1, 1), first);

        // Stale: the same expected version again.
        var stale = await InTransactionAsync(tx => Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 0, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, "{}") }));
        Assert.False(stale.Committed);

        // Fenced: the lease expired and another worker took the run; the first worker's commit is refused.
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal("w2", Assert.Single(await Runs.AcquireAsync(new RunLeaseRequest("w2", 1, Lease))).LeaseOwner);
        var fenced = await InTransactionAsync(tx => Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 1, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, "{\"lost\":true}") }));
        Assert.False(fenced.Committed);
        Assert.False(await Runs.RenewLeaseAsync("w1", tenant, run.Id, Lease));

        var second = await InTransactionAsync(tx => Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 1, RunState.Succeeded) { LeaseOwner = "w2", Checkpoint = new CheckpointData(1, "{\"done\":true}"), Output = "{\"total\":3}", ReleaseLease = true }));
        Assert.Equal(new RunCommitResult(true, 2, 2), second);

        var final = await Runs.GetAsync(tenant, run.Id);
        Assert.Equal(RunState.Succeeded, final!.State);
        Assert.Equal("{\"total\":3}", final.Output);
        Assert.Equal(Clock.GetUtcNow(), final.EndedAt);
        Assert.Null(final.LeaseOwner);
        Assert.Equal([1L, 2L], await Checkpoints.ListVersionsAsync(tenant, run.Id));
        Assert.Equal("{\"done\":true}", (await Checkpoints.GetLatestAsync(tenant, run.Id))!.State);
        Assert.Equal("{\"steps\":{\"a\":1}}", (await Checkpoints.GetAsync(tenant, run.Id, 1))!.State);
        Assert.Null(await Checkpoints.GetAsync(NewTenant(), run.Id, 1));
    }

    [Fact]
    public async Task A_commits_events_are_written_with_it_and_a_refused_commit_writes_none()
    {
        var tenant = NewTenant();
        var run = NewRun(tenant);
        await InTransactionAsync(tx => Runs.CreateAsync(tx, run));
        Assert.Single(await Runs.AcquireAsync(new RunLeaseRequest("w1", 1, Lease)));
        var partition = run.Id.ToString();
        OutboxMessage Event(string payload)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(1)); // each its own time: the outbox's order is time, then id
            return OutboxRows.New(tenant, Clock.GetUtcNow(), payload, "run.v1", partitionKey: partition);
        }

        // Accepted, with a checkpoint and without one: every event is there, as given, beside the new row.
        // One of them left out of the partition log, as a session's conversation event is.
        var step = new[] { Event("{\"n\":1}"), Event("{\"n\":2}") with { InPartitionLog = false }, Event("{\"n\":3}") };
        Assert.Equal(new RunCommitResult(true, 1, 1), await InTransactionAsync(tx => Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 0, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, "{}"), Events = step })));
        var waiting = Event("{\"n\":4}");
        Assert.Equal(new RunCommitResult(true, 2, 1), await InTransactionAsync(tx => Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 1, RunState.Waiting) { LeaseOwner = "w1", WaitingFor = "signal", Events = [waiting] })));

        // Refused (stale, then another worker's lease): none of their events is written, and the transaction goes on.
        var lost = new[] { Event("{\"lost\":1}"), Event("{\"lost\":2}") };
        var kept = Event("{\"kept\":true}");
        await InTransactionAsync(async tx =>
        {
            Assert.False((await Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 1, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, "{}"), Events = lost })).Committed);
            Assert.False((await Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 2, RunState.Running) { LeaseOwner = "w2", Events = lost })).Committed);
            Assert.True(await Ports.Outbox.AppendAsync(tx, kept));
            return true;
        });

        var claimed = await Ports.Outbox.ClaimAsync(new OutboxClaimRequest("reader", 50, Lease) { TenantId = tenant });
        Assert.Equal(
            ["{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"kept\":true}"],
            claimed.OrderBy(e => e.Message.CreatedAt).Select(e => e.Message.Payload));
        Assert.All(claimed, e => Assert.Equal(tenant, e.Message.TenantId));
        Assert.Equal(step.Append(waiting), claimed.Where(e => e.Message.Payload.StartsWith("{\"n\"", StringComparison.Ordinal)).OrderBy(e => e.Message.CreatedAt).Select(e => e.Message));
        Assert.Equal([1L], await Checkpoints.ListVersionsAsync(tenant, run.Id));
        Assert.Equal(RunState.Waiting, (await Runs.GetAsync(tenant, run.Id))!.State);
    }

    [Fact]
    public async Task A_change_outside_a_worker_bumps_the_version_so_the_worker_is_fenced()
    {
        var tenant = NewTenant();
        var run = NewRun(tenant);
        await InTransactionAsync(tx => Runs.CreateAsync(tx, run));
        await Runs.AcquireAsync(new RunLeaseRequest("w1", 1, Lease));

        var cancel = await InTransactionAsync(tx => Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 0, RunState.Cancelled) { ReleaseLease = true }));
        Assert.True(cancel.Committed);
        Assert.Equal(0, cancel.CheckpointVersion);

        var late = await InTransactionAsync(tx => Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 0, RunState.Running) { LeaseOwner = "w1" }));
        Assert.False(late.Committed);
        Assert.Equal(RunState.Cancelled, (await Runs.GetAsync(tenant, run.Id))!.State);

        // Ended and waiting runs are not handed to workers.
        Clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty(await Runs.AcquireAsync(new RunLeaseRequest("w2", 10, Lease)));
    }

    [Fact]
    public async Task A_run_is_not_acquired_before_its_wake_time_nor_while_waiting()
    {
        var tenant = NewTenant();
        var backingOff = NewRun(tenant);
        var waiting = NewRun(tenant, Start.AddMilliseconds(1));
        await InTransactionAsync(async tx =>
        {
            await Runs.CreateAsync(tx, backingOff);
            await Runs.CreateAsync(tx, waiting);
        });
        await Runs.AcquireAsync(new RunLeaseRequest("w", 10, Lease));
        await InTransactionAsync(async tx =>
        {
            await Runs.CommitAsync(tx, new RunCommit(tenant, backingOff.Id, 0, RunState.Running) { LeaseOwner = "w", WakeAt = Start.AddMinutes(1), ReleaseLease = true });
            await Runs.CommitAsync(tx, new RunCommit(tenant, waiting.Id, 0, RunState.Waiting) { LeaseOwner = "w", WaitingFor = "approval", ReleaseLease = true });
        });

        Assert.Empty(await Runs.AcquireAsync(new RunLeaseRequest("w", 10, Lease)));
        Assert.Equal("approval", (await Runs.GetAsync(tenant, waiting.Id))!.WaitingFor);
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(backingOff.Id, Assert.Single(await Runs.AcquireAsync(new RunLeaseRequest("w", 10, Lease))).Id);
    }

    [Fact]
    public async Task A_last_change_is_committed_with_its_events_by_the_callers_commit_which_runs_the_callbacks_then()
    {
        var tenant = NewTenant();
        var run = NewRun(tenant);
        await InTransactionAsync(tx => Runs.CreateAsync(tx, run));
        Assert.Single(await Runs.AcquireAsync(new RunLeaseRequest("w1", 1, Lease)));
        var step = OutboxRows.New(tenant, Clock.GetUtcNow(), "{\"n\":1}", "run.v1", partitionKey: run.Id.ToString());
        var called = 0;
        await using (var transaction = await Store.BeginAsync())
        {
            var change = new RunCommit(tenant, run.Id, 0, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, "{}"), Events = [step], Last = true };
            Assert.Equal(new RunCommitResult(true, 1, 1), await Runs.CommitAsync(transaction, change));
            transaction.OnCommitted(() => called++);
            if (Store.GroupCommitLanes == 0 && Engine.Name == "postgres")
            {
                // Committed with its statement: a write after the last change is refused, and says why.
                var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Effects.RecordAsync(transaction, new EffectRecord(tenant, run.Id, "k", "{}", Start)));
                Assert.Contains("last change", refused.Message, StringComparison.Ordinal);
            }

            Assert.Equal(0, called);
            await transaction.CommitAsync();
            Assert.Equal(1, called);
            await Assert.ThrowsAsync<InvalidOperationException>(() => transaction.CommitAsync());
        }

        Assert.Equal(1, (await Runs.GetAsync(tenant, run.Id))!.Version);
        Assert.Equal([1L], await Checkpoints.ListVersionsAsync(tenant, run.Id));
        Assert.Null(await Effects.GetAsync(tenant, run.Id, "k"));
        var claimed = await Ports.Outbox.ClaimAsync(new OutboxClaimRequest("reader", 50, Lease) { TenantId = tenant });
        Assert.Equal([step.Payload], claimed.Select(e => e.Message.Payload));

        // Refused as the last change (a stale version): nothing of it is written, and the transaction still commits.
        await using (var transaction = await Store.BeginAsync())
        {
            var stale = new RunCommit(tenant, run.Id, 0, RunState.Succeeded) { LeaseOwner = "w1", Events = [OutboxRows.New(tenant, Clock.GetUtcNow(), "{\"lost\":1}", "run.v1")], Last = true };
            Assert.False((await Runs.CommitAsync(transaction, stale)).Committed);
            await transaction.CommitAsync();
        }

        Assert.Equal(RunState.Running, (await Runs.GetAsync(tenant, run.Id))!.State);
        Assert.Empty(await Ports.Outbox.ClaimAsync(new OutboxClaimRequest("reader", 50, Lease) { TenantId = tenant }));
    }

    [Fact]
    public async Task A_rolled_back_commit_writes_no_checkpoint_and_keeps_the_version()
    {
        var tenant = NewTenant();
        var run = NewRun(tenant);
        await InTransactionAsync(tx => Runs.CreateAsync(tx, run));
        await Runs.AcquireAsync(new RunLeaseRequest("w", 1, Lease));
        await using (var transaction = await Store.BeginAsync())
        {
            Assert.True((await Runs.CommitAsync(transaction, new RunCommit(tenant, run.Id, 0, RunState.Running) { LeaseOwner = "w", Checkpoint = new CheckpointData(1, "{}") })).Committed);
            await Effects.RecordAsync(transaction, new EffectRecord(tenant, run.Id, "k", "{}", Start));
        }

        Assert.Equal(0, (await Runs.GetAsync(tenant, run.Id))!.Version);
        Assert.Empty(await Checkpoints.ListVersionsAsync(tenant, run.Id));
        Assert.Null(await Effects.GetAsync(tenant, run.Id, "k"));
    }

    [Fact]
    public async Task An_effect_is_recorded_once_and_its_result_returned()
    {
        var tenant = NewTenant();
        var runId = Guid.CreateVersion7();
        var effect = new EffectRecord(tenant, runId, $"{runId:N}/charge/0", "{\"charge_id\":\"ch_1\"}", Start);
        Assert.True(await InTransactionAsync(tx => Effects.RecordAsync(tx, effect)));
        Assert.False(await InTransactionAsync(tx => Effects.RecordAsync(tx, effect with { Result = "{\"charge_id\":\"ch_2\"}" })));

        Assert.Equal(effect, await Effects.GetAsync(tenant, runId, effect.Key));
        Assert.Null(await Effects.GetAsync(NewTenant(), runId, effect.Key));
        Assert.Equal([effect], await Effects.ListAsync(tenant, runId));
    }

    [Fact]
    public async Task Pruning_keeps_the_last_versions_of_ended_runs_and_never_touches_live_ones()
    {
        var tenant = NewTenant();
        var ended = NewRun(tenant);
        var live = NewRun(tenant, Start.AddMilliseconds(1));
        await InTransactionAsync(async tx =>
        {
            await Runs.CreateAsync(tx, ended);
            await Runs.CreateAsync(tx, live);
        });
        await Runs.AcquireAsync(new RunLeaseRequest("w", 10, Lease));
        for (var v = 0; v < 5; v++)
        {
            var last = v == 4;
            await InTransactionAsync(async tx =>
            {
                await Runs.CommitAsync(tx, new RunCommit(tenant, ended.Id, v, last ? RunState.Succeeded : RunState.Running) { LeaseOwner = "w", Checkpoint = new CheckpointData(1, $"{{\"v\":{v}}}") });
                await Runs.CommitAsync(tx, new RunCommit(tenant, live.Id, v, RunState.Running) { LeaseOwner = "w", Checkpoint = new CheckpointData(1, $"{{\"v\":{v}}}") });
            });
        }

        Assert.Equal(3, await Checkpoints.PruneAsync(keepLast: 2, endedBefore: Start.AddDays(-1)));
        Assert.Equal([4L, 5L], await Checkpoints.ListVersionsAsync(tenant, ended.Id));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], await Checkpoints.ListVersionsAsync(tenant, live.Id));

        Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await Checkpoints.PruneAsync(keepLast: 2, endedBefore: Clock.GetUtcNow().AddDays(-1)));
        Assert.Equal([5L], await Checkpoints.ListVersionsAsync(tenant, ended.Id));
    }

    private RunRecord NewRun(string tenant, DateTimeOffset? at = null) =>
        new(Guid.CreateVersion7(), tenant, "demo.pipeline", 1, RunState.Accepted, 0, 0, "{\"order\":42}", at ?? Clock.GetUtcNow(), at ?? Clock.GetUtcNow());
}
