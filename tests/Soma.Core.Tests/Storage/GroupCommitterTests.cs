using System.Collections.Concurrent;
using Soma.Core.Storage;

namespace Soma.Core.Tests.Storage;

/// <summary>
/// The group committer on the real single-writer engine. A batch is made deterministically: the first caller leads and
/// its work waits on a signal inside its transaction, so every caller arriving meanwhile queues for the next one.
/// </summary>
public sealed class GroupCommitterTests
{
    // Only a guard against a hang (a caller never answered); no test depends on how long anything takes.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Callers_arriving_during_a_commit_share_the_next_transaction_in_arrival_order_each_with_its_own_result()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new ConcurrentQueue<(string Key, IStoreTransaction Transaction)>();

        var leader = committer.RunAsync(async (tx, ct) =>
        {
            await hold.Task;
            await ScratchDatabase.InsertAsync(tx, "leader", ct);
            return "leader";
        }, CancellationToken.None);
        var followers = new[] { "a", "b", "c" }.Select(key => committer.RunAsync(async (tx, ct) =>
        {
            seen.Enqueue((key, tx));
            await ScratchDatabase.InsertAsync(tx, key, ct);
            return key.ToUpperInvariant();
        }, CancellationToken.None)).ToList();

        // Nobody is answered while the transaction before theirs is still open.
        Assert.All(followers, follower => Assert.False(follower.IsCompleted));
        hold.SetResult();

        Assert.Equal("leader", await leader.WaitAsync(Patience));
        Assert.Equal(["A", "B", "C"], await Task.WhenAll(followers).WaitAsync(Patience));
        Assert.Equal(["a", "b", "c"], seen.Select(s => s.Key));
        Assert.Single(seen.Select(s => s.Transaction).Distinct());
        Assert.Equal(["leader", "a", "b", "c"], await database.ReadKeysAsync());
    }

    [Fact]
    public async Task A_caller_is_answered_only_after_its_transaction_committed()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var committed = new ConcurrentDictionary<string, bool>();

        Task<bool> Run(string key, Task? wait = null)
        {
            var run = committer.RunAsync(async (tx, ct) =>
            {
                if (wait is not null)
                {
                    await wait;
                }

                await ScratchDatabase.InsertAsync(tx, key, ct);
                tx.OnCommitted(() => committed[key] = true);
                return key;
            }, CancellationToken.None);

            // What the caller sees the moment its answer arrives.
            return run.ContinueWith(t => t.IsCompletedSuccessfully && committed.ContainsKey(t.Result), TaskScheduler.Default);
        }

        var leader = Run("leader", hold.Task);
        var followers = new[] { Run("a"), Run("b") };
        hold.SetResult();

        Assert.True(await leader.WaitAsync(Patience));
        Assert.All(await Task.WhenAll(followers).WaitAsync(Patience), Assert.True);
    }

    [Fact]
    public async Task A_failing_member_rolls_its_batch_back_and_the_others_commit_alone_exactly_once()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = new ConcurrentDictionary<string, int>();
        var callbacks = new ConcurrentDictionary<string, int>();

        Task<string> Run(string key, bool fails)
        {
            return committer.RunAsync(async (tx, ct) =>
            {
                attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
                await ScratchDatabase.InsertAsync(tx, key, ct);
                tx.OnCommitted(() => callbacks.AddOrUpdate(key, 1, (_, n) => n + 1));
                return fails ? throw new InvalidOperationException($"{key} is refused") : key;
            }, CancellationToken.None);
        }

        var leader = committer.RunAsync(async (tx, ct) =>
        {
            await hold.Task;
            await ScratchDatabase.InsertAsync(tx, "leader", ct);
            return "leader";
        }, CancellationToken.None);
        var a = Run("a", fails: false);
        var bad = Run("bad", fails: true);
        var c = Run("c", fails: false);
        hold.SetResult();
        await leader.WaitAsync(Patience);

        // The failure reaches its own caller only; the others get their results.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitAsync(Patience));
        Assert.Equal("bad is refused", failure.Message);
        Assert.Equal("a", await a.WaitAsync(Patience));
        Assert.Equal("c", await c.WaitAsync(Patience));

        // The shared transaction was rolled back (had it kept a's row, a's retry would have hit the unique key), the
        // members up to the failure ran again alone (c, behind it, never ran in the shared one), and only the commits
        // that happened ran their callbacks, once each.
        Assert.Equal(["leader", "a", "c"], await database.ReadKeysAsync());
        Assert.Equal(2, attempts["a"]);
        Assert.Equal(2, attempts["bad"]);
        Assert.Equal(1, attempts["c"]);
        Assert.Equal(1, callbacks["a"]);
        Assert.Equal(1, callbacks["c"]);
        Assert.False(callbacks.ContainsKey("bad"));
    }

    [Fact]
    public async Task A_member_that_fails_only_in_the_shared_transaction_succeeds_when_retried_alone()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flakyAttempts = 0;

        var leader = committer.RunAsync(async (tx, ct) =>
        {
            await hold.Task;
            return 0;
        }, CancellationToken.None);
        var steady = committer.RunAsync(async (tx, ct) =>
        {
            await ScratchDatabase.InsertAsync(tx, "steady", ct);
            return 1;
        }, CancellationToken.None);
        var flaky = committer.RunAsync(async (tx, ct) =>
        {
            await ScratchDatabase.InsertAsync(tx, "flaky", ct);
            return Interlocked.Increment(ref flakyAttempts) == 1 ? throw new TimeoutException("only the first time") : 2;
        }, CancellationToken.None);
        hold.SetResult();

        await leader.WaitAsync(Patience);
        Assert.Equal(1, await steady.WaitAsync(Patience));
        Assert.Equal(2, await flaky.WaitAsync(Patience));
        Assert.Equal(2, flakyAttempts);
        Assert.Equal(["steady", "flaky"], await database.ReadKeysAsync());
    }

    [Fact]
    public async Task An_exception_from_work_run_alone_reaches_the_caller_unchanged_and_the_committer_goes_on()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        var refused = new InvalidOperationException("refused");

        // Thrown before the work's first await as well as after it: both reach the caller as the same exception.
        var synchronous = await Assert.ThrowsAsync<InvalidOperationException>(
            () => committer.RunAsync<int>((_, _) => throw refused, CancellationToken.None).WaitAsync(Patience));
        var asynchronous = await Assert.ThrowsAsync<InvalidOperationException>(() => committer.RunAsync<int>(async (tx, ct) =>
        {
            await ScratchDatabase.InsertAsync(tx, "rolled back", ct);
            throw refused;
        }, CancellationToken.None).WaitAsync(Patience));

        Assert.Same(refused, synchronous);
        Assert.Same(refused, asynchronous);
        Assert.Equal(7, await committer.RunAsync(async (tx, ct) =>
        {
            await ScratchDatabase.InsertAsync(tx, "after", ct);
            return 7;
        }, CancellationToken.None).WaitAsync(Patience));
        Assert.Equal(["after"], await database.ReadKeysAsync());
    }

    [Fact]
    public async Task A_caller_cancelled_while_queued_is_cancelled_writes_nothing_and_its_batch_still_commits()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();

        Task<string> Run(string key, CancellationToken cancellationToken) => committer.RunAsync(async (tx, ct) =>
        {
            await ScratchDatabase.InsertAsync(tx, key, ct);
            return key;
        }, cancellationToken);

        var leader = committer.RunAsync(async (tx, ct) =>
        {
            await hold.Task;
            await ScratchDatabase.InsertAsync(tx, "leader", ct);
            return "leader";
        }, CancellationToken.None);
        var a = Run("a", CancellationToken.None);
        var gaveUp = Run("gave up", cancel.Token);
        var c = Run("c", CancellationToken.None);
        await cancel.CancelAsync();
        hold.SetResult();

        await leader.WaitAsync(Patience);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp.WaitAsync(Patience));
        Assert.True(gaveUp.IsCanceled);
        Assert.Equal("a", await a.WaitAsync(Patience));
        Assert.Equal("c", await c.WaitAsync(Patience));
        Assert.Equal(["leader", "a", "c"], await database.ReadKeysAsync());
    }

    [Fact]
    public async Task A_leader_whose_caller_gives_up_still_commits_everyone_queued_behind_it()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();

        var leader = committer.RunAsync(async (tx, ct) =>
        {
            await never.Task.WaitAsync(ct);
            return "leader";
        }, cancel.Token);
        var followers = new[] { "a", "b" }.Select(key => committer.RunAsync(async (tx, ct) =>
        {
            await ScratchDatabase.InsertAsync(tx, key, ct);
            return key;
        }, CancellationToken.None)).ToList();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader.WaitAsync(Patience));
        Assert.Equal(["a", "b"], await Task.WhenAll(followers).WaitAsync(Patience));
        Assert.Equal(["a", "b"], await database.ReadKeysAsync());
    }

    [Fact]
    public async Task A_queue_longer_than_one_batch_is_drained_completely_in_arrival_order()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transactions = new ConcurrentQueue<IStoreTransaction>();
        const int Count = 600;

        var leader = committer.RunAsync(async (tx, ct) =>
        {
            await hold.Task;
            return -1;
        }, CancellationToken.None);
        var followers = Enumerable.Range(0, Count).Select(i => committer.RunAsync(async (tx, ct) =>
        {
            transactions.Enqueue(tx);
            await ScratchDatabase.InsertAsync(tx, $"{i:D4}", ct);
            return i;
        }, CancellationToken.None)).ToList();
        hold.SetResult();

        await leader.WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(0, Count), await Task.WhenAll(followers).WaitAsync(Patience));
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"{i:D4}"), await database.ReadKeysAsync());

        // A batch has a ceiling, so one transaction never grows with the queue.
        Assert.True(transactions.Distinct().Count() > 1);
    }

    [Fact]
    public async Task Concurrent_callers_are_each_answered_once_and_only_the_successful_ones_are_committed()
    {
        await using var database = await ScratchDatabase.CreateAsync();
        var committer = new GroupCommitter(database.Store);
        const int Writers = 8;
        const int CallsEach = 60;

        // Callers arrive from many threads, so leadership is taken and handed back while others queue.
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var outcomes = new List<(string Key, bool Fails, bool Committed)>();
            for (var i = 0; i < CallsEach; i++)
            {
                var key = $"{w}-{i}";
                var fails = i % 7 == 3;
                try
                {
                    var result = await committer.RunAsync(async (tx, ct) =>
                    {
                        await ScratchDatabase.InsertAsync(tx, key, ct);
                        return fails ? throw new InvalidOperationException(key) : key;
                    }, CancellationToken.None);
                    Assert.Equal(key, result);
                    outcomes.Add((key, fails, true));
                }
                catch (InvalidOperationException ex) when (ex.Message == key)
                {
                    outcomes.Add((key, fails, false));
                }
            }

            return outcomes;
        })).ToList();

        var all = (await Task.WhenAll(writers).WaitAsync(Patience)).SelectMany(o => o).ToList();
        Assert.Equal(Writers * CallsEach, all.Count);
        Assert.All(all, o => Assert.NotEqual(o.Fails, o.Committed));
        var expected = all.Where(o => o.Committed).Select(o => o.Key).Order(StringComparer.Ordinal);
        Assert.Equal(expected, (await database.ReadKeysAsync()).Order(StringComparer.Ordinal));
    }
}
