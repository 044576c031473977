using Soma.Storage.Sqlite;

namespace Soma.Core.Tests.Sqlite;

/// <summary>
/// The SQLite writer gate. A grant or a cancellation completes the waiter's task on the spot, so whether a waiter holds
/// the gate is read from its task right after the call that decides it; nothing waits on a clock.
/// </summary>
public sealed class WriterGateTests
{
    [Fact]
    public void An_uncontended_wait_takes_the_gate_at_once_and_a_second_one_waits_for_the_release()
    {
        var gate = new WriterGate();

        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        var second = gate.WaitAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);

        gate.Release();
        Assert.True(second.IsCompletedSuccessfully);
    }

    [Fact]
    public void Waiters_are_served_first_come_first_served_one_per_release()
    {
        var gate = new WriterGate();
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        var waiters = Enumerable.Range(0, 5).Select(_ => gate.WaitAsync(CancellationToken.None)).ToList();

        for (var i = 0; i < waiters.Count; i++)
        {
            Assert.All(waiters.Skip(i), w => Assert.False(w.IsCompleted));
            gate.Release();
            Assert.Equal(i + 1, waiters.Count(w => w.IsCompletedSuccessfully));
            Assert.True(waiters[i].IsCompletedSuccessfully);
        }

        // The last holder lets go: the gate is free again.
        gate.Release();
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public void A_releasing_caller_that_asks_again_queues_behind_the_longest_waiter()
    {
        var gate = new WriterGate();
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        var waiting = gate.WaitAsync(CancellationToken.None);

        // A busy loop (release, take again) must not starve the caller already waiting.
        gate.Release();
        var again = gate.WaitAsync(CancellationToken.None);
        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.False(again.IsCompleted);

        gate.Release();
        Assert.True(again.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_up_and_the_next_release_goes_to_the_waiter_behind_it()
    {
        var gate = new WriterGate();
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        using var cancel = new CancellationTokenSource();
        var cancelled = gate.WaitAsync(cancel.Token);
        var behind = gate.WaitAsync(CancellationToken.None);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(behind.IsCompleted);

        gate.Release();
        Assert.True(behind.IsCompletedSuccessfully);
        Assert.True(cancelled.IsCanceled);
        Assert.False(gate.WaitAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public void A_release_with_only_cancelled_waiters_left_frees_the_gate()
    {
        var gate = new WriterGate();
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        using var cancel = new CancellationTokenSource();
        var first = gate.WaitAsync(cancel.Token);
        var second = gate.WaitAsync(cancel.Token);
        cancel.Cancel();

        gate.Release();

        Assert.True(first.IsCanceled);
        Assert.True(second.IsCanceled);
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public void A_waiter_whose_token_is_already_cancelled_is_refused_at_once_and_never_granted()
    {
        var gate = new WriterGate();
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);

        var refused = gate.WaitAsync(new CancellationToken(canceled: true));
        Assert.True(refused.IsCanceled);

        gate.Release();
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public void Cancelling_after_the_grant_does_not_take_the_gate_back()
    {
        var gate = new WriterGate();
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        using var cancel = new CancellationTokenSource();
        var granted = gate.WaitAsync(cancel.Token);
        gate.Release();
        Assert.True(granted.IsCompletedSuccessfully);

        cancel.Cancel();

        Assert.True(granted.IsCompletedSuccessfully);
        var next = gate.WaitAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);
        gate.Release();
        Assert.True(next.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_cancellation_racing_a_release_leaves_the_gate_with_exactly_one_holder_or_free()
    {
        var gate = new WriterGate();
        for (var round = 0; round < 2000; round++)
        {
            Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
            using var cancel = new CancellationTokenSource();
            var waiter = gate.WaitAsync(cancel.Token);
            using var start = new Barrier(2);
            var cancelling = Task.Run(() =>
            {
                start.SignalAndWait();
                cancel.Cancel();
            });
            var releasing = Task.Run(() =>
            {
                start.SignalAndWait();
                gate.Release();
            });
            await Task.WhenAll(cancelling, releasing);

            Assert.True(waiter.IsCompleted);
            var probe = gate.WaitAsync(CancellationToken.None);
            if (waiter.IsCompletedSuccessfully)
            {
                // The release won: the waiter holds the gate, and the probe waits for it.
                Assert.False(probe.IsCompleted);
                gate.Release();
            }

            Assert.True(probe.IsCompletedSuccessfully);
            gate.Release();
        }
    }

    [Fact]
    public async Task Concurrent_callers_never_hold_the_gate_together()
    {
        var gate = new WriterGate();
        var inside = 0;
        var most = 0;
        var entries = 0;

        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await gate.WaitAsync(CancellationToken.None);
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                Interlocked.Increment(ref entries);
                await Task.Yield();
                Interlocked.Decrement(ref inside);
                gate.Release();
            }
        })).ToList();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, most);
        Assert.Equal(8 * 200, entries);
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
