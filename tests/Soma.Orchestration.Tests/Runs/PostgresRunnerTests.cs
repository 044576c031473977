using System.Collections.Concurrent;
using System.Text.Json;
using Soma.Core.Runs;
using Soma.Orchestration.Workflows;
using Soma.Testing;

namespace Soma.Orchestration.Tests.Runs;

/// <summary>A real PostgreSQL server for the runner tests of this class.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// The runner on PostgreSQL, where several workers share the database, with each commit alone (0) and with concurrent
/// commits grouped (<c>Soma:Store:Postgres:GroupCommit</c>).
/// </summary>
public sealed class PostgresRunnerTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Concurrent_runs_on_two_workers_succeed_with_contiguous_checkpoints_and_each_effect_once(int groupCommit)
    {
        var effects = new ConcurrentDictionary<string, int>();
        var workflow = WorkflowDefinition.Create("demo.pg", 1)
            .Step("a", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })))
            .Step("b", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })), o => o.After("a"))
            .Step("c", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })), o => o.After("a"))
            .Step("pay", (c, _) =>
            {
                effects.AddOrUpdate(c.IdempotencyKey!, 1, (_, n) => n + 1);
                return ValueTask.FromResult(StepOutcome.Succeeded(new { paid = c.IdempotencyKey }));
            }, o => o.After("b", "c").SideEffecting())
            .Build();
        await using var harness = new RunHarness(await postgres.Server.CreateDatabaseAsync(), groupCommit, workflow);
        await harness.InitializeAsync();
        var runs = new List<RunRecord>();
        for (var i = 0; i < 20; i++)
        {
            runs.Add(await harness.StartAsync("demo.pg", new { i }));
        }

        await Task.WhenAll(harness.DrainAsync("worker-a"), harness.DrainAsync("worker-b"));

        foreach (var run in runs)
        {
            var done = await harness.GetAsync(run);
            Assert.Equal(RunState.Succeeded, done.State);
            Assert.Equal([1L, 2L, 3L, 4L], await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));
            Assert.Single(await harness.Effects.ListAsync(run.TenantId, run.Id));
            Assert.Equal(EffectKeys.For(run.Id, "pay", 0), JsonDocument.Parse(done.Output!).RootElement.GetProperty("pay").GetProperty("paid").GetString());
        }

        Assert.Equal(20, effects.Count);
        Assert.All(effects.Values, n => Assert.Equal(1, n));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Runs_accepted_where_a_worker_runs_are_committed_leased_to_it_and_other_workers_leave_them_alone(int groupCommit)
    {
        var workflow = WorkflowDefinition.Create("demo.pg.handoff", 1)
            .Step("a", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })))
            .Step("b", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { })), o => o.After("a"))
            .Build();
        await using var harness = new RunHarness(await postgres.Server.CreateDatabaseAsync(), groupCommit, workflow);
        await harness.InitializeAsync();
        harness.HandOff.Open("worker-a", TimeSpan.FromMinutes(5), 8);

        // Concurrent starts (grouped into shared commits where the engine groups them): eight leased, two not.
        var started = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => harness.StartAsync("demo.pg.handoff", new { i })));
        var stored = await Task.WhenAll(started.Select(harness.GetAsync));
        Assert.Equal(8, stored.Count(r => r.LeaseOwner == "worker-a" && r.LeaseExpiresAt > DateTimeOffset.UtcNow.AddMinutes(4)));
        Assert.Equal(2, stored.Count(r => r.LeaseOwner is null && r.LeaseExpiresAt is null));

        // Another worker leases only the two; the handed-over eight run on the worker they were handed to.
        var handed = new List<RunRecord>();
        while (harness.HandOff.TryTake(out var run))
        {
            handed.Add(run);
        }

        Assert.Equal(8, handed.Count);
        var others = await harness.Runs.AcquireAsync(new RunLeaseRequest("worker-b", 64, TimeSpan.FromMinutes(1)), TestContext.Current.CancellationToken);
        Assert.Equal(stored.Where(r => r.LeaseOwner is null).Select(r => r.Id).Order(), others.Select(r => r.Id).Order());
        await Task.WhenAll(
            Task.WhenAll(handed.Select(r => harness.Executor.ExecuteAsync(r, "worker-a", CancellationToken.None))),
            Task.WhenAll(others.Select(r => harness.Executor.ExecuteAsync(r, "worker-b", CancellationToken.None))));
        foreach (var run in started)
        {
            Assert.Equal(RunState.Succeeded, (await harness.GetAsync(run)).State);
            Assert.Equal([1L, 2L], await harness.Checkpoints.ListVersionsAsync(run.TenantId, run.Id));
        }
    }
}
