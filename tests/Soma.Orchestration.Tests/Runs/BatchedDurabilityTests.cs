using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Soma.Contracts.Schemas;
using Soma.Core.Runs;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Tests.Runs;

/// <summary>Batched durability on a real SQLite store: fewer commits, the same results, and effects still exactly once.</summary>
public sealed class BatchedDurabilityTests
{
    private static readonly EventValidator Validator = new(SchemaRegistry.Default);

    [Fact]
    public async Task A_ten_step_batched_run_commits_its_steps_once_at_the_end_with_every_step_s_events()
    {
        await using var harness = new RunHarness(Linear("demo.ten.batched", 10, WorkflowDurability.Batched()), Linear("demo.ten", 10, WorkflowDurability.PerStep));
        await harness.InitializeAsync();

        var batched = await harness.StartAsync("demo.ten.batched");
        var perStep = await harness.StartAsync("demo.ten");
        await harness.DrainAsync();

        // Accepted (0), then its start and end with all ten results in one commit (1): one checkpoint where per-step
        // makes ten, and one commit after acceptance where per-step makes eleven.
        var done = await harness.GetAsync(batched);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(1, done.Version);
        Assert.Equal(11, (await harness.GetAsync(perStep)).Version);
        Assert.Equal([1L], await harness.Checkpoints.ListVersionsAsync(batched.TenantId, batched.Id));
        Assert.Equal((await harness.GetAsync(perStep)).Output, done.Output);
        Assert.Equal(10, (await harness.Checkpoints.ListVersionsAsync(perStep.TenantId, perStep.Id)).Count);

        // Every step still tells its story, in order, under the checkpoint that carried it.
        var events = (await harness.EventsAsync()).Where(e => e.GetProperty("run_id").GetString() == batched.Id.ToString()).ToList();
        Assert.All(events, e => Assert.True(Validator.Validate(e).IsValid, e.GetRawText()));
        Assert.Equal(["run.accepted", "run.started", "step.started"], events.Take(3).Select(e => e.GetProperty("type").GetString()));
        var succeeded = events.Where(e => e.GetProperty("type").GetString() == "step.succeeded").ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"s{i}"), succeeded.Select(e => e.GetProperty("data").GetProperty("step_id").GetString()));
        Assert.All(succeeded, e => Assert.Equal(1, e.GetProperty("data").GetProperty("checkpoint_version").GetInt64()));
        Assert.Equal(10, events.Count(e => e.GetProperty("type").GetString() == "step.started"));
        Assert.Single(events, e => e.GetProperty("type").GetString() == "run.checkpointed");
        Assert.Equal("run.succeeded", events[^1].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Results_are_committed_every_max_results_and_before_a_side_effecting_step_starts()
    {
        RunCheckpoint? seenByEffect = null;
        RunHarness? harnessRef = null;
        var workflow = WorkflowDefinition.Create("demo.pay.batched", 1)
            .WithDurability(WorkflowDurability.Batched(maxResults: 2))
            .Step("a", Pure)
            .Step("b", Pure, o => o.After("a"))
            .Step("c", Pure, o => o.After("b"))
            .Step("charge", async (c, ct) =>
            {
                var latest = await harnessRef!.Checkpoints.GetLatestAsync(c.TenantId, c.RunId, ct);
                seenByEffect = CheckpointFormat.Read(latest!.FormatVersion, latest.State);
                return StepOutcome.Succeeded(new { charged = true });
            }, o => o.After("c").SideEffecting())
            .Step("d", Pure, o => o.After("charge"))
            .Step("e", Pure, o => o.After("d"))
            .Build();
        await using var harness = new RunHarness(workflow);
        harnessRef = harness;
        await harness.InitializeAsync();

        var run = await harness.StartAsync("demo.pay.batched");
        await harness.DrainAsync();

        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);

        // a+b (two results), c (before the effect), the effect's own commit, d+e with the end.
        Assert.Equal([1L, 2L, 3L, 4L], await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));
        Assert.NotNull(seenByEffect);
        Assert.All(["a", "b", "c"], k => Assert.Equal(StepStatus.Succeeded, seenByEffect!.Step(k)?.Status));
        Assert.Null(seenByEffect!.Step("charge"));
    }

    [Fact]
    public async Task Results_wait_no_longer_than_max_delay_while_a_slow_step_runs()
    {
        RunHarness? harnessRef = null;
        var workflow = WorkflowDefinition.Create("demo.slow.batched", 1)
            .WithDurability(WorkflowDurability.Batched(maxDelay: TimeSpan.FromMilliseconds(100)))
            .Step("quick", Pure)
            .Step("slow", async (c, ct) =>
            {
                // Ends only once the quick step's result is in the store, which it is after 100 ms unless the
                // executor holds it until this step ends (then the wait runs out and the run fails).
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(TimeSpan.FromSeconds(20));
                while (await harnessRef!.Checkpoints.GetLatestAsync(c.TenantId, c.RunId, limit.Token) is null)
                {
                    await Task.Delay(20, limit.Token);
                }

                return StepOutcome.Succeeded(new { waited = true });
            }, o => o.After("quick").WithPolicy(new StepPolicy(MaxAttempts: 1)))
            .Build();
        await using var harness = new RunHarness(workflow);
        harnessRef = harness;
        await harness.InitializeAsync();

        var run = await harness.StartAsync("demo.slow.batched");
        await harness.DrainAsync();

        var done = await harness.GetAsync(run);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal([1L, 2L], await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));
    }

    [Fact]
    public async Task After_a_crash_only_the_uncommitted_pure_steps_run_again_and_the_effect_runs_once()
    {
        var runsOf = new ConcurrentDictionary<string, int>();
        var hang = new TaskCompletionSource();
        var workflow = WorkflowDefinition.Create("demo.crash.batched", 1)
            .WithDurability(WorkflowDurability.Batched())
            .Step("one", (c, _) => Count(c, runsOf))
            .Step("two", (c, _) => Count(c, runsOf), o => o.After("one"))
            .Step("notify", (c, _) => Count(c, runsOf), o => o.After("two").SideEffecting())
            .Step("three", (c, _) => Count(c, runsOf), o => o.After("notify"))
            .Step("four", async (c, ct) =>
            {
                await Count(c, runsOf);
                if (runsOf["four"] == 1)
                {
                    // The first worker "dies" here: "three" is still only in its memory.
                    await hang.Task.WaitAsync(ct);
                }

                return StepOutcome.Succeeded(new { ok = true });
            }, o => o.After("three"))
            .Build();
        // The lease runs out on a fake clock: the takeover needs no real seconds of sleep.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        await using var harness = new RunHarness(clock, workflow);
        await harness.InitializeAsync();
        var run = await harness.StartAsync("demo.crash.batched");

        using var killed = new CancellationTokenSource();
        var first = harness.DrainAsync("worker-a", killed.Token);
        while (!runsOf.ContainsKey("four"))
        {
            await Task.Delay(10);
        }

        await killed.CancelAsync();
        try
        {
            await first.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
            // The "killed" worker stops without committing what it held.
        }

        clock.Advance(TimeSpan.FromSeconds(RunHarness.LeaseSeconds + 1));
        await harness.DrainAsync("worker-b");

        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);
        Assert.Equal(1, runsOf["one"]);
        Assert.Equal(1, runsOf["two"]);
        Assert.Equal(1, runsOf["notify"]);
        Assert.Equal(2, runsOf["three"]);
        Assert.Equal(2, runsOf["four"]);
        Assert.Single(await harness.Effects.ListAsync(run.TenantId, run.Id));
        var versions = await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id);
        Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v), versions);
    }

    [Fact]
    public async Task A_batched_loop_commits_at_each_iteration_and_a_wait_keeps_what_came_before_it()
    {
        var counted = new ConcurrentDictionary<string, int>();
        var workflow = WorkflowDefinition.Create("demo.loop.batched", 1)
            .WithDurability(WorkflowDurability.Batched())
            .Step("start", (c, _) => Count(c, counted))
            .Loop(
                "rounds",
                3,
                loop => loop
                    .Step("think", (c, _) => Count(c, counted))
                    .Step("act", (c, _) => Count(c, counted), o => o.After("think")),
                _ => true,
                o => o.After("start"))
            .Step("approve", (c, _) => ValueTask.FromResult(c.ResumeInput is { } input ? StepOutcome.Succeeded(input) : StepOutcome.Wait("approval")), o => o.After("rounds"))
            .Step("finish", (c, _) => Count(c, counted), o => o.After("approve"))
            .Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();

        var run = await harness.StartAsync("demo.loop.batched");
        await harness.DrainAsync();
        var waiting = await harness.GetAsync(run);
        Assert.Equal(RunState.Waiting, waiting.State);

        // Everything before the wait is in the store: the start, all three iterations and the waiting step.
        var latest = await harness.Checkpoints.GetLatestAsync(run.TenantId, run.Id);
        var state = CheckpointFormat.Read(latest!.FormatVersion, latest.State);
        Assert.Equal(StepStatus.Succeeded, state.Step("start")?.Status);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(StepStatus.Succeeded, state.Step(StepKeys.For("act", "rounds", i))?.Status));
        Assert.Equal(StepStatus.Waiting, state.Step("approve")?.Status);
        Assert.True(state.Loops["rounds"].Completed);

        await harness.Service.ResumeAsync(run.TenantId, run.Id, JsonSerializer.SerializeToElement(new { ok = true }));
        await harness.DrainAsync();

        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);
        Assert.Equal(1, counted["start"]);
        Assert.Equal(3, counted.Where(c => c.Key.EndsWith("think", StringComparison.Ordinal)).Sum(c => c.Value));
        Assert.Equal(1, counted["finish"]);

        // Each iteration's end is a commit, and the versions stay contiguous; per step there would be 10 or more.
        var versions = await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id);
        Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v), versions);
        Assert.InRange(versions.Count, 4, 8);
        var events = (await harness.EventsAsync()).Where(e => e.GetProperty("run_id").GetString() == run.Id.ToString()).ToList();
        Assert.All(events, e => Assert.True(Validator.Validate(e).IsValid, e.GetRawText()));
        Assert.Equal(9, events.Count(e => e.GetProperty("type").GetString() == "step.succeeded"));
    }

    [Fact]
    public void Batched_limits_out_of_range_are_refused_when_the_workflow_is_built()
    {
        var error = Assert.Throws<WorkflowDefinitionException>(() => WorkflowDefinition.Create("demo.bad", 1)
            .WithDurability(WorkflowDurability.Batched(maxResults: 0, maxDelay: TimeSpan.FromMinutes(5)))
            .Step("a", Pure)
            .Build());
        Assert.Contains("keeps 0 results", error.Message, StringComparison.Ordinal);
        Assert.Equal(WorkflowDurability.PerStep, WorkflowDefinition.Create("demo.default", 1).Step("a", Pure).Build().Durability);
    }

    private static WorkflowDefinition Linear(string name, int steps, WorkflowDurability durability)
    {
        var builder = WorkflowDefinition.Create(name, 1).WithDurability(durability);
        for (var i = 0; i < steps; i++)
        {
            var previous = $"s{i - 1}";
            builder = i == 0
                ? builder.Step($"s{i}", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { n = 1 })))
                : builder.Step($"s{i}", (c, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { n = c.Outputs[previous].GetProperty("n").GetInt32() + 1 })), o => o.After(previous));
        }

        return builder.Build();
    }

    private static ValueTask<StepOutcome> Pure(StepContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(StepOutcome.Succeeded(new { context.StepId }));

    private static ValueTask<StepOutcome> Count(StepContext context, ConcurrentDictionary<string, int> counts)
    {
        counts.AddOrUpdate(context.StepId, 1, (_, n) => n + 1);
        return ValueTask.FromResult(StepOutcome.Succeeded(new { context.StepId }));
    }
}
