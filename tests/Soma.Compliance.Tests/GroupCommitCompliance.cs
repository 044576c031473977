using System.Collections.Concurrent;
using System.Diagnostics;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Storage.Postgres;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Compliance.Tests;

public sealed class SqliteGroupCommitCompliance(SqliteEngine engine) : GroupCommitCompliance<SqliteEngine>(engine);

public sealed class PostgresGroupCommitCompliance(PostgresEngine engine) : GroupCommitCompliance<PostgresEngine>(engine);

/// <summary>
/// The group committer on each engine, through the real ports: on SQLite with its two lanes (the log flushed apart from
/// the commit: one lane's batch runs its statements while the other's is flushed), on PostgreSQL with
/// <c>Soma:Store:Postgres:GroupCommit</c> at 2. A batch is made
/// deterministically: one holder per lane leads and waits on a signal inside its own transaction, so every caller arriving
/// meanwhile queues, and the first lane to finish takes them all into one shared transaction.
/// </summary>
public abstract class GroupCommitCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    // Only a guard against a hang (a caller never answered); no test depends on how long anything takes.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected override IReadOnlyDictionary<string, string?>? Settings => new Dictionary<string, string?> { ["Soma:Store:Postgres:GroupCommit"] = "2" };

    [Fact]
    public void The_engine_groups_commits_as_configured()
    {
        Assert.Equal(2, Store.GroupCommitLanes);
    }

    [Fact]
    public async Task Commits_queued_behind_busy_lanes_share_one_transaction_and_every_caller_is_answered_after_it_committed()
    {
        var committer = new GroupCommitter(Store);
        var tenant = NewTenant();
        var runs = Enumerable.Range(0, 5).Select(_ => NewRun(tenant)).ToList();
        var transactions = new ConcurrentQueue<IStoreTransaction>();
        var committed = new ConcurrentDictionary<Guid, bool>();

        var batch = await InOneBatchAsync(committer, runs.Select(run => (Func<IStoreTransaction, CancellationToken, Task<bool>>)(async (tx, ct) =>
        {
            transactions.Enqueue(tx);
            await Ports.Runs.CreateAsync(tx, run, ct);
            tx.OnCommitted(() => committed[run.Id] = true);
            return true;
        })).ToList());

        // What each caller saw the moment its answer arrived: its own commit done.
        Assert.All(await Task.WhenAll(batch.Select(t => t.ContinueWith(r => r.IsCompletedSuccessfully && committed.Count == runs.Count, TaskScheduler.Default))), Assert.True);
        Assert.Single(transactions.Distinct());
        foreach (var run in runs)
        {
            Assert.NotNull(await Ports.Runs.GetAsync(tenant, run.Id));
        }
    }

    [Fact]
    public async Task A_run_whose_lease_was_taken_over_commits_nothing_and_the_other_runs_of_its_transaction_commit()
    {
        var committer = new GroupCommitter(Store);
        var tenant = NewTenant();

        // The lost run: leased by w1, whose lease then ran out, and taken over by w2.
        var lost = NewRun(tenant);
        await InTransactionAsync(tx => Ports.Runs.CreateAsync(tx, lost));
        Assert.Single(await Ports.Runs.AcquireAsync(new RunLeaseRequest("w1", 1, Lease)));
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Single(await Ports.Runs.AcquireAsync(new RunLeaseRequest("w2", 1, Lease)));

        // Two more runs that w1 holds now.
        var kept = new[] { NewRun(tenant), NewRun(tenant) };
        await InTransactionAsync(async tx =>
        {
            foreach (var run in kept)
            {
                await Ports.Runs.CreateAsync(tx, run);
            }
        });
        Assert.Equal(2, (await Ports.Runs.AcquireAsync(new RunLeaseRequest("w1", 10, Lease))).Count);

        // w1 commits a step of each in one shared transaction, the lost run in the middle: its fencing is a condition of
        // its own update, so it is refused alone.
        var transactions = new ConcurrentQueue<IStoreTransaction>();
        var batch = await InOneBatchAsync(committer, new[] { kept[0], lost, kept[1] }.Select(run => (Func<IStoreTransaction, CancellationToken, Task<RunCommitResult>>)(async (tx, ct) =>
        {
            transactions.Enqueue(tx);
            return await Ports.Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 0, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, $"{{\"by\":\"w1\",\"run\":\"{run.Id}\"}}") }, ct);
        })).ToList());
        var results = await Task.WhenAll(batch).WaitAsync(Patience);

        Assert.Single(transactions.Distinct());
        Assert.Equal([true, false, true], results.Select(r => r.Committed));
        foreach (var run in kept)
        {
            Assert.Equal([1L], await Ports.Checkpoints.ListVersionsAsync(tenant, run.Id));
            Assert.Equal("w1", (await Ports.Runs.GetAsync(tenant, run.Id))!.LeaseOwner);
        }

        Assert.Empty(await Ports.Checkpoints.ListVersionsAsync(tenant, lost.Id));
        var taken = (await Ports.Runs.GetAsync(tenant, lost.Id))!;
        Assert.Equal("w2", taken.LeaseOwner);
        Assert.Equal(0, taken.Version);
    }

    [Fact]
    public async Task Each_caller_s_work_in_a_shared_transaction_runs_in_its_own_context_not_the_leader_s()
    {
        var committer = new GroupCommitter(Store);
        var traces = Enumerable.Range(0, 3).Select(_ => ActivityTraceId.CreateRandom()).ToList();

        // The holders lead the shared transaction, on a flow with no Activity; each caller has its own request's.
        var batch = await InOneBatchAsync(
            committer,
            traces.Select(_ => (Func<IStoreTransaction, CancellationToken, Task<string?>>)(async (_, _) =>
            {
                var before = Activity.Current?.TraceId.ToHexString();
                await Task.Yield();
                return before == Activity.Current?.TraceId.ToHexString() ? before : "changed across an await";
            })).ToList(),
            caller => new Activity("caller").SetParentId(traces[caller], ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start());

        Assert.Equal(traces.Select(t => t.ToHexString()), await Task.WhenAll(batch).WaitAsync(Patience));
    }

    [Fact]
    public async Task A_statement_failing_in_the_database_rolls_the_shared_transaction_back_and_only_its_caller_fails()
    {
        var committer = new GroupCommitter(Store);
        var tenant = NewTenant();
        var runs = new[] { NewRun(tenant), NewRun(tenant), NewRun(tenant) };
        var attempts = new ConcurrentDictionary<Guid, int>();

        // The middle one's statement fails in the database: on PostgreSQL that aborts the whole transaction, so the
        // members before it must run again in transactions of their own.
        var batch = await InOneBatchAsync(committer, runs.Select((run, i) => (Func<IStoreTransaction, CancellationToken, Task<Guid>>)(async (tx, ct) =>
        {
            attempts.AddOrUpdate(run.Id, 1, (_, n) => n + 1);
            await Ports.Runs.CreateAsync(tx, run, ct);
            if (i == 1)
            {
                await FailInDatabaseAsync(tx, ct);
            }

            return run.Id;
        })).ToList());

        Assert.Equal(runs[0].Id, await batch[0].WaitAsync(Patience));
        await Assert.ThrowsAsync<StoreException>(() => batch[1].WaitAsync(Patience));
        Assert.Equal(runs[2].Id, await batch[2].WaitAsync(Patience));
        Assert.Equal([2, 2, 1], runs.Select(r => attempts[r.Id]));
        Assert.NotNull(await Ports.Runs.GetAsync(tenant, runs[0].Id));
        Assert.Null(await Ports.Runs.GetAsync(tenant, runs[1].Id));
        Assert.NotNull(await Ports.Runs.GetAsync(tenant, runs[2].Id));

        // The connections the failures left behind are good for the next commit.
        var after = NewRun(tenant);
        await committer.RunAsync((tx, ct) => Ports.Runs.CreateAsync(tx, after, ct), CancellationToken.None).WaitAsync(Patience);
        Assert.NotNull(await Ports.Runs.GetAsync(tenant, after.Id));
    }

    [Fact]
    public async Task A_last_change_in_a_shared_transaction_is_rolled_back_with_it_and_committed_once_when_retried_alone()
    {
        var committer = new GroupCommitter(Store);
        var tenant = NewTenant();
        var run = NewRun(tenant);
        var failing = NewRun(tenant);
        await InTransactionAsync(tx => Ports.Runs.CreateAsync(tx, run));
        Assert.Single(await Ports.Runs.AcquireAsync(new RunLeaseRequest("w1", 1, Lease)));
        var attempts = 0;

        // The run's step says it is its transaction's last change, but the transaction is shared: the change must not
        // commit it early, or the member after it would write outside it and the retry alone would be refused as stale.
        var batch = await InOneBatchAsync(committer, new Func<IStoreTransaction, CancellationToken, Task<bool>>[]
        {
            async (tx, ct) =>
            {
                attempts++;
                return (await Ports.Runs.CommitAsync(tx, new RunCommit(tenant, run.Id, 0, RunState.Running) { LeaseOwner = "w1", Checkpoint = new CheckpointData(1, "{}"), Last = true }, ct)).Committed;
            },
            async (tx, ct) =>
            {
                await Ports.Runs.CreateAsync(tx, failing, ct);
                await FailInDatabaseAsync(tx, ct);
                return true;
            },
        }.ToList());

        Assert.True(await batch[0].WaitAsync(Patience));
        await Assert.ThrowsAsync<StoreException>(() => batch[1].WaitAsync(Patience));
        Assert.Equal(2, attempts);
        Assert.Equal(1, (await Ports.Runs.GetAsync(tenant, run.Id))!.Version);
        Assert.Equal([1L], await Ports.Checkpoints.ListVersionsAsync(tenant, run.Id));
        Assert.Null(await Ports.Runs.GetAsync(tenant, failing.Id));
    }

    [Fact]
    public async Task A_member_that_swallows_a_database_error_last_in_its_batch_does_not_lose_the_others_commits()
    {
        var committer = new GroupCommitter(Store);
        var tenant = NewTenant();
        var runs = new[] { NewRun(tenant), NewRun(tenant), NewRun(tenant) };

        // On PostgreSQL the swallowed error has aborted the shared transaction: its COMMIT must not report success.
        var batch = await InOneBatchAsync(committer, runs.Select((run, i) => (Func<IStoreTransaction, CancellationToken, Task<Guid>>)(async (tx, ct) =>
        {
            await Ports.Runs.CreateAsync(tx, run, ct);
            if (i == 2)
            {
                try
                {
                    await FailInDatabaseAsync(tx, ct);
                }
                catch (StoreException)
                {
                }
            }

            return run.Id;
        })).ToList());
        var outcomes = await Task.WhenAll(batch.Select(t => t.ContinueWith(r => r.IsCompletedSuccessfully, TaskScheduler.Default))).WaitAsync(Patience);

        // Whatever a caller was told, it is what the store holds.
        for (var i = 0; i < runs.Length; i++)
        {
            Assert.Equal(outcomes[i], await Ports.Runs.GetAsync(tenant, runs[i].Id) is not null);
        }

        Assert.True(outcomes[0]);
        Assert.True(outcomes[1]);
    }

    // Holds every lane (HeldLanes), starts the callers of `work` (which queue behind the holders and share the next
    // transaction), then lets the holders finish. Returns the callers' tasks.
    private async Task<List<Task<T>>> InOneBatchAsync<T>(
        GroupCommitter committer, List<Func<IStoreTransaction, CancellationToken, Task<T>>> work, Func<int, IDisposable>? asCaller = null)
    {
        var held = await HeldLanes.HoldAsync(committer, Store, Patience);

        // Each caller asks from its own context when asCaller gives one (its request's Activity, say).
        var callers = work.Select((w, i) =>
        {
            using var caller = asCaller?.Invoke(i);
            return committer.RunAsync(w, CancellationToken.None);
        }).ToList();

        // Nobody is answered while the transactions before theirs are still open.
        Assert.All(callers, caller => Assert.False(caller.IsCompleted));
        await held.ReleaseAsync();
        await Task.WhenAll(callers.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(Patience);
        return callers;
    }

    // A statement the database refuses (an unknown table), on the engine's own connection.
    private static async Task FailInDatabaseAsync(IStoreTransaction transaction, CancellationToken cancellationToken)
    {
        const string Sql = "SELECT 1 FROM no_such_table";
        switch (transaction)
        {
            case PostgresStoreTransaction postgres:
                using (var command = postgres.CreateCommand(Sql))
                {
                    // Through the adapters' own helper, which notes that the server aborted the transaction.
                    await PostgresCommands.ExecuteAsync(command, "fail on purpose", cancellationToken);
                }

                break;
            case SqliteStoreTransaction sqlite:
                using (var command = sqlite.CreateCommand(Sql))
                {
                    try
                    {
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }
                    catch (Microsoft.Data.Sqlite.SqliteException ex)
                    {
                        throw new StoreException("fail on purpose", ex);
                    }
                }

                break;
            default:
                throw new InvalidOperationException($"No failing statement for {transaction.GetType().Name}.");
        }
    }

    private RunRecord NewRun(string tenant) =>
        new(Guid.CreateVersion7(), tenant, "demo.batch", 1, RunState.Accepted, 0, 0, "{}", Clock.GetUtcNow(), Clock.GetUtcNow());
}
