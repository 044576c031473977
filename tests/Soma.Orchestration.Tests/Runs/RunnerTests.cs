using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Soma.Contracts.Schemas;
using Soma.Core.Runs;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Runs;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Tests.Runs;

/// <summary>The runner end to end on a real SQLite store: what a user of runs would notice.</summary>
public sealed class RunnerTests
{
    private static readonly EventValidator Validator = new(SchemaRegistry.Default);

    [Fact]
    public async Task A_fan_out_fan_in_workflow_succeeds_with_one_contiguous_checkpoint_per_step_and_valid_events()
    {
        var concurrent = 0;
        var maxConcurrent = 0;
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<StepOutcome> Slow(StepContext context, CancellationToken ct)
        {
            var now = Interlocked.Increment(ref concurrent);
            InterlockedMax(ref maxConcurrent, now);
            if (now == 2)
            {
                bothStarted.TrySetResult();
            }

            // Each branch waits for the other rather than for a fixed time, so a loaded machine cannot make them run one
            // after the other; a runner that does not run them at once leaves them waiting out the timeout, apart.
            await Task.WhenAny(bothStarted.Task, Task.Delay(TimeSpan.FromSeconds(5), ct));
            Interlocked.Decrement(ref concurrent);
            return StepOutcome.Succeeded(new { step = context.StepId, inputs = context.Outputs.Count });
        }

        var workflow = WorkflowDefinition.Create("demo.fan", 1)
            .Step("fetch", (c, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { order = c.Input.GetProperty("order").GetInt32() })))
            .Step("left", Slow, o => o.After("fetch"))
            .Step("right", Slow, o => o.After("fetch"))
            .Step("join", (c, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { total = c.Outputs.Count })), o => o.After("left", "right"))
            .Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();

        var run = await harness.StartAsync("demo.fan", new { order = 42 });
        Assert.Equal(RunState.Accepted, run.State);
        await harness.DrainAsync();

        var done = await harness.GetAsync(run);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(2, JsonDocument.Parse(done.Output!).RootElement.GetProperty("join").GetProperty("total").GetInt32());
        Assert.Equal(2, maxConcurrent);
        Assert.Equal([1L, 2L, 3L, 4L], await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));
        Assert.Null(done.LeaseOwner);

        var events = await harness.EventsAsync();
        Assert.All(events, e => Assert.True(Validator.Validate(e).IsValid, e.GetRawText()));
        var types = events.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal("run.accepted", types[0]);
        Assert.Equal("run.started", types[1]);
        Assert.Equal("run.succeeded", types[^1]);
        Assert.Equal(4, types.Count(t => t == "step.succeeded"));
        Assert.All(events, e => Assert.Equal(run.Id.ToString(), e.GetProperty("run_id").GetString()));
    }

    [Fact]
    public async Task A_ten_step_run_ends_in_its_last_step_s_commit()
    {
        var builder = WorkflowDefinition.Create("demo.ten", 1);
        for (var i = 0; i < 10; i++)
        {
            var step = $"s{i}";
            var previous = $"s{i - 1}";
            builder = i == 0
                ? builder.Step(step, (c, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { n = 1 })))
                : builder.Step(step, (c, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { n = c.Outputs[previous].GetProperty("n").GetInt32() + 1 })), o => o.After(previous));
        }

        await using var harness = new RunHarness(builder.Build());
        await harness.InitializeAsync();

        var run = await harness.StartAsync("demo.ten");
        await harness.DrainAsync();

        // Accepted at version 0, started (1), then one commit per step, the last of which also ends the run: version 11,
        // where a separate end commit made it 12.
        var done = await harness.GetAsync(run);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(11, done.Version);
        Assert.Equal(10, JsonDocument.Parse(done.Output!).RootElement.GetProperty("s9").GetProperty("n").GetInt32());
        Assert.Null(done.LeaseOwner);
        Assert.Equal(Enumerable.Range(1, 10).Select(v => (long)v), await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));

        // The end's event comes after the last step's, in the same commit, and names the last checkpoint.
        var events = await harness.EventsAsync();
        Assert.All(events, e => Assert.True(Validator.Validate(e).IsValid, e.GetRawText()));
        var types = events.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal("run.succeeded", types[^1]);
        Assert.Equal("run.checkpointed", types[^2]);
        Assert.Equal(10, events[^1].GetProperty("data").GetProperty("checkpoint_version").GetInt64());
    }

    [Fact]
    public async Task A_failing_step_is_retried_with_backoff_and_a_non_retryable_error_fails_the_run_at_once()
    {
        var attempts = new ConcurrentDictionary<string, int>();
        var fast = new StepPolicy(MaxAttempts: 4) { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20) };
        var flaky = WorkflowDefinition.Create("demo.flaky", 1)
            .Step("call", (c, _) => ValueTask.FromResult(attempts.AddOrUpdate("call", 1, (_, n) => n + 1) < 3
                ? StepOutcome.Fail("http.503", "unavailable")
                : StepOutcome.Succeeded(new { attempt = c.Attempt })), o => o.WithPolicy(fast))
            .Build();
        var broken = WorkflowDefinition.Create("demo.broken", 1)
            .Step("call", (_, _) =>
            {
                attempts.AddOrUpdate("broken", 1, (_, n) => n + 1);
                return ValueTask.FromResult(StepOutcome.Fail("bad.request", "the order does not exist", retryable: false));
            }, o => o.WithPolicy(fast))
            .Build();
        await using var harness = new RunHarness(flaky, broken);
        await harness.InitializeAsync();

        var ok = await harness.StartAsync("demo.flaky");
        var bad = await harness.StartAsync("demo.broken");
        await harness.DrainAsync();

        var succeeded = await harness.GetAsync(ok);
        Assert.Equal(RunState.Succeeded, succeeded.State);
        Assert.Equal(3, JsonDocument.Parse(succeeded.Output!).RootElement.GetProperty("call").GetProperty("attempt").GetInt32());
        var failed = await harness.GetAsync(bad);
        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal(1, attempts["broken"]);
        Assert.Equal("bad.request", JsonDocument.Parse(failed.Error!).RootElement.GetProperty("code").GetString());

        var events = await harness.EventsAsync();
        Assert.Equal(2, events.Count(e => e.GetProperty("type").GetString() == "step.retrying"));
        Assert.Single(events, e => e.GetProperty("type").GetString() == "run.failed");
    }

    [Fact]
    public async Task A_completed_effect_in_the_ledger_returns_its_recorded_result_without_running_again()
    {
        var calls = 0;
        var workflow = WorkflowDefinition.Create("demo.pay", 1)
            .Step("charge", (c, _) =>
            {
                Interlocked.Increment(ref calls);
                return ValueTask.FromResult(StepOutcome.Succeeded(new { charged = c.IdempotencyKey }));
            }, o => o.SideEffecting())
            .Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();

        var first = await harness.StartAsync("demo.pay");
        await harness.DrainAsync();
        Assert.Equal(1, calls);
        var key = EffectKeys.For(first.Id, "charge", 0);
        var recorded = Assert.Single(await harness.Effects.ListAsync(first.TenantId, first.Id));
        Assert.Equal(key, recorded.Key);
        Assert.Contains(key, recorded.Result, StringComparison.Ordinal);

        // A second run whose effect already completed (its commit lost the checkpoint, say): the ledger answers.
        var second = await harness.StartAsync("demo.pay");
        var secondKey = EffectKeys.For(second.Id, "charge", 0);
        await using (var transaction = await harness.Store.BeginAsync())
        {
            await harness.Effects.RecordAsync(transaction, new EffectRecord(second.TenantId, second.Id, secondKey, "{\"charged\":\"earlier\"}", DateTimeOffset.UtcNow));
            await transaction.CommitAsync();
        }

        await harness.DrainAsync();
        Assert.Equal(1, calls);
        var done = await harness.GetAsync(second);
        Assert.Equal("earlier", JsonDocument.Parse(done.Output!).RootElement.GetProperty("charge").GetProperty("charged").GetString());
    }

    [Fact]
    public async Task A_waiting_run_resumes_with_the_awaited_input_and_a_failed_run_resumes_from_its_last_checkpoint()
    {
        var prepared = 0;
        var shipAttempts = 0;
        var approval = WorkflowDefinition.Create("demo.approval", 1)
            .Step("prepare", (_, _) =>
            {
                Interlocked.Increment(ref prepared);
                return ValueTask.FromResult(StepOutcome.Succeeded(new { ready = true }));
            })
            .Step("approve", (c, _) => ValueTask.FromResult(c.ResumeInput is { } input
                ? StepOutcome.Succeeded(input)
                : StepOutcome.Wait("approval")), o => o.After("prepare"))
            .Step("ship", (_, _) => ValueTask.FromResult(Interlocked.Increment(ref shipAttempts) == 1
                ? StepOutcome.Fail("carrier.down", "no carrier", retryable: false)
                : StepOutcome.Succeeded(new { shipped = true })), o => o.After("approve"))
            .Build();
        await using var harness = new RunHarness(approval);
        await harness.InitializeAsync();

        var run = await harness.StartAsync("demo.approval");
        await harness.DrainAsync();
        var waiting = await harness.GetAsync(run);
        Assert.Equal(RunState.Waiting, waiting.State);
        Assert.Equal("approval", waiting.WaitingFor);
        Assert.Empty(await harness.Runs.AcquireAsync(new RunLeaseRequest("w", 10, TimeSpan.FromSeconds(5))));

        Assert.False((await harness.Service.ResumeAsync(run.TenantId, Guid.CreateVersion7(), null)).Found);
        var resumed = await harness.Service.ResumeAsync(run.TenantId, run.Id, JsonSerializer.SerializeToElement(new { approved_by = "alice" }));
        Assert.Equal(RunState.Running, resumed.Run!.State);
        await harness.DrainAsync();

        var failed = await harness.GetAsync(run);
        Assert.Equal(RunState.Failed, failed.State);
        Assert.NotNull((await harness.Service.ResumeAsync(run.TenantId, run.Id, null)).Run);
        await harness.DrainAsync();

        var done = await harness.GetAsync(run);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(1, prepared);
        Assert.Equal(2, shipAttempts);
        var latest = await harness.Checkpoints.GetLatestAsync(run.TenantId, run.Id);
        var state = CheckpointFormat.Read(latest!.FormatVersion, latest.State);
        Assert.Equal("alice", state.Step("approve")!.Output!.Value.GetProperty("approved_by").GetString());
        Assert.Empty(state.ResumeInputs);

        // Only waiting or failed runs resume.
        Assert.NotNull((await harness.Service.ResumeAsync(run.TenantId, run.Id, null)).ConflictMessage);
    }

    [Fact]
    public async Task A_worker_that_dies_mid_run_is_taken_over_after_its_lease_and_committed_steps_do_not_run_again()
    {
        var runsOf = new ConcurrentDictionary<string, int>();
        var hang = new TaskCompletionSource();
        var workflow = WorkflowDefinition.Create("demo.crash", 1)
            .Step("one", (c, _) => Count(c, runsOf))
            .Step("two", async (c, ct) =>
            {
                await Count(c, runsOf);
                if (runsOf["two"] == 1)
                {
                    // The first worker "dies" here: it never commits this step.
                    await hang.Task.WaitAsync(ct);
                }

                return StepOutcome.Succeeded(new { ok = true });
            }, o => o.After("one"))
            .Step("three", (c, _) => Count(c, runsOf), o => o.After("two"))
            .Build();
        // The lease runs out on a fake clock: the takeover needs no real seconds of sleep.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        await using var harness = new RunHarness(clock, workflow);
        await harness.InitializeAsync();
        var run = await harness.StartAsync("demo.crash");

        using var killed = new CancellationTokenSource();
        var first = harness.DrainAsync("worker-a", killed.Token);
        while (!runsOf.ContainsKey("two"))
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
            // The "killed" worker stops without committing the step it was in.
        }

        Assert.Empty(await harness.Runs.AcquireAsync(new RunLeaseRequest("worker-b", 10, TimeSpan.FromSeconds(5))));

        clock.Advance(TimeSpan.FromSeconds(RunHarness.LeaseSeconds + 1));
        await harness.DrainAsync("worker-b");

        var done = await harness.GetAsync(run);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(1, runsOf["one"]);
        Assert.Equal(2, runsOf["two"]);
        Assert.Equal(1, runsOf["three"]);
        var versions = await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id);
        Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v), versions);
    }

    [Fact]
    public async Task A_cancelled_run_stops_its_worker_and_stays_cancelled()
    {
        var started = new TaskCompletionSource();
        var workflow = WorkflowDefinition.Create("demo.long", 1)
            .Step("wait", async (_, ct) =>
            {
                started.TrySetResult();
                await Task.Delay(TimeSpan.FromSeconds(30), ct);
                return StepOutcome.Succeeded(new { });
            })
            .Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();
        var run = await harness.StartAsync("demo.long");

        var worker = harness.DrainAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var cancel = await harness.Service.CancelAsync(run.TenantId, run.Id, "user asked");
        Assert.Equal(RunState.Cancelled, cancel.Run!.State);
        await worker.WaitAsync(TimeSpan.FromSeconds(RunHarness.LeaseSeconds * 3));

        Assert.Equal(RunState.Cancelled, (await harness.GetAsync(run)).State);
        Assert.NotNull((await harness.Service.CancelAsync(run.TenantId, run.Id)).ConflictMessage);
        Assert.False((await harness.Service.CancelAsync("other", run.Id)).Found);
    }

    [Fact]
    public async Task Starting_twice_with_one_idempotency_key_accepts_one_run_and_unknown_workflows_are_refused()
    {
        var workflow = WorkflowDefinition.Create("demo.once", 1).Step("a", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { }))).Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();

        var first = await harness.Service.StartAsync("acme", "demo.once", null, JsonSerializer.SerializeToElement(new { }), "key-1");
        var again = await harness.Service.StartAsync("acme", "demo.once", null, JsonSerializer.SerializeToElement(new { }), "key-1");
        Assert.Equal(Assert.IsType<RunStartResult.Accepted>(first).Run.Id, Assert.IsType<RunStartResult.Accepted>(again).Run.Id);
        Assert.True(((RunStartResult.Accepted)again).Existing);
        Assert.Single(await harness.EventsAsync(), e => e.GetProperty("type").GetString() == "run.accepted");

        Assert.IsType<RunStartResult.WorkflowNotFound>(await harness.Service.StartAsync("acme", "demo.nope", null, JsonSerializer.SerializeToElement(new { })));
        Assert.IsType<RunStartResult.WorkflowNotFound>(await harness.Service.StartAsync("acme", "demo.once", 7, JsonSerializer.SerializeToElement(new { })));
    }

    [Fact]
    public async Task A_run_checked_before_its_transaction_is_accepted_in_the_callers_commit_and_a_bad_one_is_refused_before_any()
    {
        var workflow = WorkflowDefinition.Create("demo.checked", 1)
            .WithInputSchema("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""")
            .Step("a", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })))
            .Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();

        // Refused by the check alone: the caller has opened no transaction, and nothing is written.
        var bad = Assert.IsType<RunStartResult.InvalidInput>(harness.Service.Check("demo.checked", null, JsonSerializer.SerializeToElement(new { n = "x" }), out _));
        Assert.Contains(bad.Errors, e => e.Pointer == "/n");
        Assert.IsType<RunStartResult.WorkflowNotFound>(harness.Service.Check("demo.nope", null, JsonSerializer.SerializeToElement(new { n = 1 }), out _));

        // Checked first, accepted with what the caller writes beside it: a rolled-back transaction leaves no run.
        Assert.Null(harness.Service.Check("demo.checked", null, JsonSerializer.SerializeToElement(new { n = 7 }), out var draft));
        await using (var rolledBack = await harness.Store.BeginAsync())
        {
            Assert.IsType<RunStartResult.Accepted>(await harness.Service.AcceptAsync(rolledBack, "acme", draft, "key-1", null, null));
        }

        Assert.Empty(await harness.EventsAsync());
        RunRecord run;
        await using (var transaction = await harness.Store.BeginAsync())
        {
            run = Assert.IsType<RunStartResult.Accepted>(await harness.Service.AcceptAsync(transaction, "acme", draft, "key-1", null, null)).Run;
            await transaction.CommitAsync();
        }

        Assert.Equal(7, JsonDocument.Parse((await harness.GetAsync(run)).Input).RootElement.GetProperty("n").GetInt32());
        Assert.Single(await harness.EventsAsync(), e => e.GetProperty("type").GetString() == "run.accepted");
        await harness.DrainAsync();
        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);
    }

    [Fact]
    public async Task Runs_started_at_the_same_moment_are_each_accepted_once_and_a_bad_start_among_them_harms_none()
    {
        var workflow = WorkflowDefinition.Create("demo.many", 1)
            .WithInputSchema("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""")
            .Step("a", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })))
            .Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();

        // 32 clients at once, 8 of them retrying one request (same key), one with a bad input: their accepts share commits.
        var starts = Enumerable.Range(0, 32).Select(i => harness.Service.StartAsync(
            "acme", "demo.many", null, JsonSerializer.SerializeToElement(i == 31 ? (object)new { n = "x" } : new { n = i }), i < 8 ? "retried" : $"key-{i}")).ToList();
        var results = await Task.WhenAll(starts);

        Assert.IsType<RunStartResult.InvalidInput>(results[31]);
        var accepted = results.Take(31).Select(r => Assert.IsType<RunStartResult.Accepted>(r)).ToList();
        Assert.Single(accepted.Take(8).Select(a => a.Run.Id).Distinct());
        Assert.Single(accepted.Take(8), a => !a.Existing);
        Assert.Equal(24, accepted.Count(a => !a.Existing));
        Assert.Equal(24, accepted.Select(a => a.Run.Id).Distinct().Count());
        Assert.Equal(24, (await harness.EventsAsync()).Count(e => e.GetProperty("type").GetString() == "run.accepted"));
        await harness.DrainAsync();
        foreach (var run in accepted.Select(a => a.Run).DistinctBy(r => r.Id))
        {
            Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);
        }
    }

    [Fact]
    public async Task Two_workers_never_execute_the_same_step_of_a_run_at_once_even_when_steps_outlast_the_lease()
    {
        var running = new ConcurrentDictionary<string, int>();
        var executions = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        async ValueTask<StepOutcome> Slow(StepContext context, CancellationToken ct)
        {
            executions.AddOrUpdate(context.StepId, 1, (_, n) => n + 1);
            if (running.AddOrUpdate(context.StepId, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            try
            {
                // Longer than the lease: only renewal keeps another worker away.
                await Task.Delay(TimeSpan.FromSeconds(RunHarness.LeaseSeconds * 1.5), ct);
                return StepOutcome.Succeeded(new { context.StepId });
            }
            finally
            {
                running.AddOrUpdate(context.StepId, 0, (_, n) => n - 1);
            }
        }

        var workflow = WorkflowDefinition.Create("demo.slow", 1).Step("a", Slow).Step("b", Slow, o => o.After("a")).Build();
        await using var harness = new RunHarness(workflow);
        await harness.InitializeAsync();
        var run = await harness.StartAsync("demo.slow");

        using var stop = new CancellationTokenSource();
        async Task WorkerAsync(string name)
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var leased in await harness.Runs.AcquireAsync(new RunLeaseRequest(name, 1, TimeSpan.FromSeconds(RunHarness.LeaseSeconds))))
                {
                    await harness.Executor.ExecuteAsync(leased, name, CancellationToken.None);
                }

                await Task.Delay(50);
            }
        }

        var workers = new[] { WorkerAsync("worker-a"), WorkerAsync("worker-b") };
        for (var i = 0; i < 200 && (await harness.GetAsync(run)).State != RunState.Succeeded; i++)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);
        Assert.Equal(0, overlaps);
        Assert.Equal(1, executions["a"]);
        Assert.Equal(1, executions["b"]);
    }

    [Fact]
    public async Task Retention_prunes_old_checkpoints_of_ended_runs_only()
    {
        var steps = WorkflowDefinition.Create("demo.steps", 1);
        for (var i = 0; i < 6; i++)
        {
            var n = i;
            steps.Step($"s{i}", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { n })), i == 0 ? null : o => o.After($"s{n - 1}"));
        }

        var approval = WorkflowDefinition.Create("demo.wait", 1)
            .Step("one", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })))
            .Step("two", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })), o => o.After("one"))
            .Step("wait", (c, _) => ValueTask.FromResult(StepOutcome.Wait("input")), o => o.After("two"))
            .Build();
        await using var harness = new RunHarness(steps.Build(), approval);
        await harness.InitializeAsync();
        var ended = await harness.StartAsync("demo.steps");
        var live = await harness.StartAsync("demo.wait");
        await harness.DrainAsync();

        var pruner = new CheckpointPruner(harness.Checkpoints, harness.Time,
            Microsoft.Extensions.Options.Options.Create(new OrchestrationOptions { CheckpointKeepLast = 2 }), Microsoft.Extensions.Logging.Abstractions.NullLogger<CheckpointPruner>.Instance);
        Assert.Equal(4, await pruner.PruneOnceAsync());
        Assert.Equal([5L, 6L], await harness.Checkpoints.ListVersionsAsync(ended.TenantId, ended.Id));
        Assert.Equal(3, (await harness.Checkpoints.ListVersionsAsync(live.TenantId, live.Id)).Count);
    }

    private static ValueTask<StepOutcome> Count(StepContext context, ConcurrentDictionary<string, int> counts)
    {
        counts.AddOrUpdate(context.StepId, 1, (_, n) => n + 1);
        return ValueTask.FromResult(StepOutcome.Succeeded(new { context.StepId }));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
