using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// SQLite FULL with the write-ahead log flushed apart from the commit (docs/decisions/0016-pipelined-wal-flush.md): a
/// commit's caller goes on only once a flush that started after the commit was written has ended, so what a caller was
/// told is committed is on the disk, while concurrent commits share flushes. The store's health says how commits and
/// flushes stand.
/// </summary>
public sealed class SqlitePipelinedFlushTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new("soma-flush");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Each_commit_is_durable_when_its_caller_goes_on()
    {
        await using var ports = SqliteEngine.Open(Path.Combine(_directory.Path, "soma.db"), TimeProvider.System);
        await ports.Store.MigrateAsync();
        var tenant = $"t-{Guid.NewGuid():N}";
        for (var i = 0; i < 50; i++)
        {
            await using var transaction = await ports.Store.BeginAsync();
            var run = NewRun(tenant);
            await ports.Runs.CreateAsync(transaction, run);
            var callbackSawRun = false;
            transaction.OnCommitted(() => callbackSawRun = Readable(ports, run));
            await transaction.CommitAsync();

            // Nothing else writes: every commit written so far, this one included, was covered by a finished flush.
            var (written, durable, _) = await Flush(ports.Store);
            Assert.Equal(written, durable);
            Assert.True(callbackSawRun, "a commit's callbacks ran before a reader could see what it wrote");
        }

        Assert.Equal(50, (await ports.Runs.ListAsync(tenant, new RunQuery(), new PageRequest(100))).Items.Count);
    }

    [Fact]
    public async Task Concurrent_commits_of_group_and_single_writers_are_all_kept_and_all_durable_when_answered()
    {
        await using var ports = SqliteEngine.Open(Path.Combine(_directory.Path, "busy.db"), TimeProvider.System);
        await ports.Store.MigrateAsync();
        var committer = new GroupCommitter(ports.Store);
        Assert.Equal(2, ports.Store.GroupCommitLanes);
        var tenant = $"t-{Guid.NewGuid():N}";
        var answeredEarly = 0;

        // 200 step-like commits through the group committer and 4 writers of 25 transactions each beside them. A caller's
        // commit is written after every commit written before the caller began, and its answer waits for a flush that
        // covers it: so when it is answered, at least one more commit than were written when it began is durable.
        var grouped = Enumerable.Range(0, 200).Select(async _ =>
        {
            var before = (await Flush(ports.Store)).Written;
            await committer.RunAsync(async (tx, ct) =>
            {
                await ports.Runs.CreateAsync(tx, NewRun(tenant), ct);
                return true;
            }, CancellationToken.None);
            await CheckAsync(before);
        });
        var single = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                var before = (await Flush(ports.Store)).Written;
                await using var transaction = await ports.Store.BeginAsync();
                await ports.Runs.CreateAsync(transaction, NewRun(tenant));
                await transaction.CommitAsync();
                await CheckAsync(before);
            }
        }));
        await Task.WhenAll(grouped.Concat(single)).WaitAsync(Patience);

        Assert.Equal(0, answeredEarly);
        Assert.Equal(300, (await ports.Runs.ListAsync(tenant, new RunQuery(), new PageRequest(500))).Items.Count);
        var (written, durable, flushes) = await Flush(ports.Store);
        Assert.Equal(written, durable);
        Assert.InRange(flushes, 1, written);

        async Task CheckAsync(long writtenBefore)
        {
            if ((await Flush(ports.Store)).Durable <= writtenBefore)
            {
                Interlocked.Increment(ref answeredEarly);
            }
        }
    }

    [Fact]
    public async Task With_the_pipelined_flush_off_the_commit_flushes_the_log_itself()
    {
        await using var ports = SqliteEngine.Open(Path.Combine(_directory.Path, "plain.db"), TimeProvider.System, settings: new Dictionary<string, string?>
        {
            ["Soma:Store:Sqlite:PipelinedFlush"] = "false",
        });
        await ports.Store.MigrateAsync();
        var tenant = $"t-{Guid.NewGuid():N}";
        var committer = new GroupCommitter(ports.Store);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => committer.RunAsync(async (tx, ct) =>
        {
            await ports.Runs.CreateAsync(tx, NewRun(tenant), ct);
            return true;
        }, CancellationToken.None))).WaitAsync(Patience);

        var health = await ports.Store.CheckHealthAsync();
        Assert.Equal("in_commit", health.Details["log_flush"]);
        Assert.Equal("FULL", health.Details["synchronous"]);
        Assert.False(health.Details.ContainsKey("log_flushes"));
        Assert.Equal(1, ports.Store.GroupCommitLanes);
        Assert.Equal(20, (await ports.Runs.ListAsync(tenant, new RunQuery(), new PageRequest(100))).Items.Count);
    }

    // A committed transaction hands the write gate on once its commit is written, and a caller's commands are disposed
    // after its commit (a using scope around both), so they come back to the writer's statement cache while the next
    // transaction runs. Before, the cache put such a command back and then cleared it, under a renter that could have it
    // already, and disposed one it did not keep at once, changing the connection's command list under the gate holder: a
    // store disposed after such writes once failed with a NullReferenceException in SqliteConnection.Close.
    [Fact]
    public async Task Commands_given_back_after_their_commit_never_change_under_the_next_transaction()
    {
        for (var round = 0; round < 4; round++)
        {
            var ports = SqliteEngine.Open(Path.Combine(_directory.Path, $"late-{round}.db"), TimeProvider.System);
            var renewed = 0;
            try
            {
                await ports.Store.MigrateAsync();
                var tenant = $"t-{Guid.NewGuid():N}";
                for (var i = 0; i < 8; i++)
                {
                    await using var transaction = await ports.Store.BeginAsync();
                    await ports.Runs.CreateAsync(transaction, NewRun(tenant));
                    await transaction.CommitAsync();
                }

                var leased = await ports.Runs.AcquireAsync(new RunLeaseRequest("owner", 8, TimeSpan.FromMinutes(5)));
                Assert.Equal(8, leased.Count);

                // Each renewal's command is disposed after its commit; eight writers renew side by side, every one must
                // find its run with its own parameters.
                await Task.WhenAll(leased.Select(run => Task.Run(async () =>
                {
                    for (var i = 0; i < 150; i++)
                    {
                        Assert.True(await ports.Runs.RenewLeaseAsync("owner", tenant, run.Id, TimeSpan.FromMinutes(5)));
                        Interlocked.Increment(ref renewed);
                    }
                }))).WaitAsync(Patience);
            }
            finally
            {
                await ports.DisposeAsync();
            }

            Assert.Equal(8 * 150, renewed);
        }
    }

    private static async Task<(long Written, long Durable, long Flushes)> Flush(IStore store)
    {
        var health = await store.CheckHealthAsync();
        Assert.Equal("pipelined", health.Details["log_flush"]);
        return ((long)health.Details["commits_written"]!, (long)health.Details["commits_durable"]!, (long)health.Details["log_flushes"]!);
    }

    // Read inside a commit callback, which runs synchronously.
    private static bool Readable(StorePorts ports, RunRecord run) => ports.Runs.GetAsync(run.TenantId, run.Id).GetAwaiter().GetResult() is not null;

    private static RunRecord NewRun(string tenant) =>
        new(Guid.CreateVersion7(), tenant, "demo.flush", 1, RunState.Accepted, 0, 0, "{}", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
}
