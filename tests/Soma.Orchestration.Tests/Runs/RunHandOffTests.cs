using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Soma.Core.Runs;
using Soma.Orchestration.Runs;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Tests.Runs;

/// <summary>
/// Runs accepted where a worker runs: leased to it in the accepting commit and handed to it in memory, within its slots;
/// unleased when no slot is free; and taken over by another worker when the one it was handed to never ran it.
/// </summary>
public sealed class RunHandOffTests
{
    private static WorkflowDefinition ThreeSteps() => WorkflowDefinition.Create("demo.handoff", 1)
        .Step("a", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { a = 1 })))
        .Step("b", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { b = 2 })), o => o.After("a"))
        .Step("c", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { c = 3 })), o => o.After("b"))
        .Build();

    [Fact]
    public async Task A_run_started_where_a_worker_runs_is_committed_leased_to_it_and_runs_to_its_end_without_waiting_for_a_poll()
    {
        await using var harness = new RunHarness(ThreeSteps());
        await harness.InitializeAsync();
        // A poll a minute apart: only the hand-over can start the run within the test's wait.
        var settings = new OrchestrationOptions { MaxConcurrentRuns = 4, LeaseSeconds = RunHarness.LeaseSeconds, PollMilliseconds = 60_000 };
        using var worker = new RunWorker(harness.Runs, harness.Executor, TimeProvider.System, Options.Create(settings), NullLogger<RunWorker>.Instance, harness.Signal, handOff: harness.HandOff);
        await worker.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            // Opened, and past its first look at the store: while that query runs, the worker holds every free slot for the
            // runs it may find, and a start then is accepted unleased (the wake-up, not the hand-over, brings it to the worker).
            await Eventually(() => Task.FromResult(harness.HandOff.Owner == worker.WorkerId));
            await Task.Delay(500, TestContext.Current.CancellationToken);
            await Eventually(() => Task.FromResult(harness.HandOff.Free == settings.MaxConcurrentRuns));
            var run = await harness.StartAsync("demo.handoff");

            Assert.Equal(worker.WorkerId, run.LeaseOwner);
            var stored = await harness.GetAsync(run);
            Assert.True(stored.LeaseOwner == worker.WorkerId || stored.IsEnded, $"the accepted row is leased to {stored.LeaseOwner ?? "nobody"}");
            await Eventually(async () => (await harness.GetAsync(run)).State == RunState.Succeeded);
            Assert.Equal([1L, 2L, 3L], await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));
            await Eventually(() => Task.FromResult(harness.HandOff.Free == settings.MaxConcurrentRuns));
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }

        Assert.Null(harness.HandOff.Owner);
        var afterStop = await harness.StartAsync("demo.handoff");
        Assert.Null(afterStop.LeaseOwner);
    }

    [Fact]
    public async Task A_start_takes_a_free_slot_or_is_accepted_unleased_and_a_replayed_start_gives_its_slot_back()
    {
        await using var harness = new RunHarness(ThreeSteps());
        await harness.InitializeAsync();
        harness.HandOff.Open("worker-1", TimeSpan.FromSeconds(RunHarness.LeaseSeconds), 1);

        var leased = await harness.StartAsync("demo.handoff", new { n = 1 });
        var unleased = await harness.StartAsync("demo.handoff", new { n = 2 });

        // Leased to the worker, the run is accepted and started in one commit (version 1, as after a start of its own).
        var stored = await harness.GetAsync(leased);
        Assert.Equal(("worker-1", RunState.Running, 1L, 0L), (stored.LeaseOwner, stored.State, stored.Version, stored.CheckpointVersion));
        Assert.NotNull(stored.LeaseExpiresAt);
        var events = await harness.EventsAsync();
        var ofLeased = events.Where(e => e.GetProperty("run_id").GetString() == leased.Id.ToString()).ToList();
        Assert.Equal(["run.accepted", "run.started"], ofLeased.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal("worker-1", ofLeased[1].GetProperty("data").GetProperty("worker").GetString());
        var unleasedRow = await harness.GetAsync(unleased);
        Assert.Equal((null, RunState.Accepted, 0L), (unleasedRow.LeaseOwner, unleasedRow.State, unleasedRow.Version));
        Assert.Equal(0, harness.HandOff.Free);
        Assert.True(harness.HandOff.TryTake(out var handed));
        Assert.Equal(leased.Id, handed.Id);
        Assert.False(harness.HandOff.TryTake(out _));

        // The worker that was handed the run executes it; another worker leases only the unleased one.
        await harness.Executor.ExecuteAsync(handed, "worker-1", CancellationToken.None);
        harness.HandOff.Release();
        await harness.DrainAsync("worker-2");
        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(leased)).State);
        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(unleased)).State);

        // The handed-over run started once: its worker's first commit was its first step's (the events read above are
        // claimed, so these are the ones written since).
        var timeline = (await harness.EventsAsync()).Where(e => e.GetProperty("run_id").GetString() == leased.Id.ToString()).Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["step.started", "step.succeeded", "run.checkpointed"], timeline.Take(3));
        Assert.DoesNotContain("run.started", timeline);
        Assert.Equal([1L, 2L, 3L], await harness.Checkpoints.ListVersionsAsync(leased.TenantId, leased.Id));

        // The same idempotency key twice: the first start is handed over, the replay writes nothing and keeps no slot.
        var first = await harness.StartAsync("demo.handoff", new { n = 3 }, idempotencyKey: "k-1");
        Assert.True(harness.HandOff.TryTake(out var firstHanded));
        Assert.Equal(first.Id, firstHanded.Id);
        harness.HandOff.Release();
        var replay = await harness.Service.StartAsync("acme", "demo.handoff", null, System.Text.Json.JsonSerializer.SerializeToElement(new { n = 3 }), "k-1", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(first.Id, Assert.IsType<RunStartResult.Accepted>(replay).Run.Id);
        Assert.True(((RunStartResult.Accepted)replay).Existing);
        Assert.Equal(1, harness.HandOff.Free);
        Assert.False(harness.HandOff.TryTake(out _));

        // A refused start (no such workflow) keeps no slot either.
        var refused = await harness.Service.StartAsync("acme", "demo.missing", null, System.Text.Json.JsonSerializer.SerializeToElement(new { }), cancellationToken: TestContext.Current.CancellationToken);
        Assert.IsType<RunStartResult.WorkflowNotFound>(refused);
        Assert.Equal(1, harness.HandOff.Free);
    }

    [Fact]
    public async Task A_run_handed_to_a_worker_that_never_runs_it_is_taken_by_another_when_the_lease_runs_out_and_the_first_is_fenced()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero));
        await using var harness = new RunHarness(clock, ThreeSteps());
        await harness.InitializeAsync();
        harness.HandOff.Open("worker-died", TimeSpan.FromSeconds(RunHarness.LeaseSeconds), 4);

        var run = await harness.StartAsync("demo.handoff");
        Assert.True(harness.HandOff.TryTake(out var handed));

        // Its process died before the run began: nobody else may lease it while the lease holds.
        Assert.Empty(await harness.Runs.AcquireAsync(new RunLeaseRequest("worker-2", 8, TimeSpan.FromSeconds(RunHarness.LeaseSeconds)), TestContext.Current.CancellationToken));
        clock.Advance(TimeSpan.FromSeconds(RunHarness.LeaseSeconds + 1));
        var taken = await harness.Runs.AcquireAsync(new RunLeaseRequest("worker-2", 8, TimeSpan.FromSeconds(RunHarness.LeaseSeconds)), TestContext.Current.CancellationToken);
        Assert.Equal(run.Id, Assert.Single(taken).Id);
        await harness.Executor.ExecuteAsync(taken[0], "worker-2", CancellationToken.None);
        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);

        // The record it was handed is stale: executing it now commits nothing.
        await harness.Executor.ExecuteAsync(handed, "worker-died", CancellationToken.None);
        var done = await harness.GetAsync(run);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal([1L, 2L, 3L], await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));
    }

    [Fact]
    public async Task A_worker_runs_handed_over_and_leased_runs_together_never_more_than_its_limit_and_all_to_their_end()
    {
        var inStep = 0;
        var most = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workflow = WorkflowDefinition.Create("demo.handoff.slow", 1)
            .Step("wait", async (_, cancellationToken) =>
            {
                var now = Interlocked.Increment(ref inStep);
                InterlockedMax(ref most, now);
                try
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref inStep);
                }

                return StepOutcome.Succeeded(new { });
            })
            .Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();
        var settings = new OrchestrationOptions { MaxConcurrentRuns = 2, LeaseSeconds = 30, PollMilliseconds = 60_000 };
        using var worker = new RunWorker(harness.Runs, harness.Executor, TimeProvider.System, Options.Create(settings), NullLogger<RunWorker>.Instance, harness.Signal, handOff: harness.HandOff);
        await worker.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            // Past the worker's first look at the store, which holds both slots while it runs (a start then is accepted unleased).
            await Eventually(() => Task.FromResult(harness.HandOff.Owner == worker.WorkerId));
            await Task.Delay(500, TestContext.Current.CancellationToken);
            await Eventually(() => Task.FromResult(harness.HandOff.Free == settings.MaxConcurrentRuns));
            var runs = new List<RunRecord>();
            for (var i = 0; i < 5; i++)
            {
                runs.Add(await harness.StartAsync("demo.handoff.slow", new { i }));
            }

            // Two slots: the first two starts are handed over; the other three wait unleased for a slot.
            Assert.Equal(2, runs.Count(r => r.LeaseOwner == worker.WorkerId));
            await Eventually(() => Task.FromResult(Volatile.Read(ref inStep) == 2));
            Assert.All(runs.Skip(2), r => Assert.Null(r.LeaseOwner));

            gate.SetResult();
            foreach (var run in runs)
            {
                await Eventually(async () => (await harness.GetAsync(run)).State == RunState.Succeeded);
            }

            Assert.Equal(2, Volatile.Read(ref most));
            await Eventually(() => Task.FromResult(harness.HandOff.Free == 2));
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var previous && previous != seen)
        {
            seen = previous;
        }
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
