using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Soma.Core.Runs;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Tests.Runs;

/// <summary>
/// The random source a step reads is seeded by (run, step, attempt): a step re-run after its worker died draws what it
/// drew before, and another run draws its own numbers.
/// </summary>
public sealed class StepRandomTests
{
    [Fact]
    public async Task A_step_rerun_after_its_worker_died_draws_the_same_numbers_and_another_run_draws_others()
    {
        var draws = new ConcurrentQueue<(Guid Run, int Attempt, int Value)>();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workflow = WorkflowDefinition.Create("demo.roll", 1)
            .Step("roll", async (context, cancellationToken) =>
            {
                var value = context.Random.Next();
                draws.Enqueue((context.RunId, context.Attempt, value));
                if (draws.Count == 1)
                {
                    // The first worker dies here, after drawing and before its result is committed.
                    entered.SetResult();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }

                return StepOutcome.Succeeded(new { value });
            })
            .Build();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
        await using var harness = new RunHarness(clock, workflow);
        await harness.InitializeAsync();

        var run = await harness.StartAsync("demo.roll");
        var leased = Assert.Single(await harness.Runs.AcquireAsync(new RunLeaseRequest("worker-died", 8, TimeSpan.FromSeconds(RunHarness.LeaseSeconds)), TestContext.Current.CancellationToken));
        using var death = new CancellationTokenSource();
        var dying = Task.Run(() => harness.Executor.ExecuteAsync(leased, "worker-died", death.Token), CancellationToken.None);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await death.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dying);

        clock.Advance(TimeSpan.FromSeconds(RunHarness.LeaseSeconds + 1));
        await harness.DrainAsync("worker-2", TestContext.Current.CancellationToken);
        var done = await harness.GetAsync(run);
        Assert.Equal(RunState.Succeeded, done.State);

        var other = await harness.StartAsync("demo.roll");
        await harness.DrainAsync("worker-2", TestContext.Current.CancellationToken);
        Assert.Equal(RunState.Succeeded, (await harness.GetAsync(other)).State);

        var ofRun = draws.Where(d => d.Run == run.Id).ToList();
        Assert.Equal(2, ofRun.Count);
        Assert.Equal(ofRun[0].Attempt, ofRun[1].Attempt);
        Assert.Equal(ofRun[0].Value, ofRun[1].Value);
        using var output = JsonDocument.Parse(done.Output!);
        Assert.Equal(ofRun[0].Value, output.RootElement.GetProperty("roll").GetProperty("value").GetInt32());
        Assert.NotEqual(ofRun[0].Value, Assert.Single(draws, d => d.Run == other.Id).Value);
    }
}
