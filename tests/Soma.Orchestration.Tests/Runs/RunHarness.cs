using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Contracts.Identity;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Runs;
using Soma.Orchestration.Workflows;
using Soma.Storage.Postgres;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Orchestration.Tests.Runs;

/// <summary>The runner on a real SQLite store in a temp directory, wired by hand.</summary>
internal sealed class RunHarness : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("soma-runs");

    public RunHarness(params WorkflowDefinition[] definitions)
        : this(null, definitions)
    {
    }

    public RunHarness(Soma.Orchestration.Export.RunGraphExporter? exporter, params WorkflowDefinition[] definitions)
        : this(null, exporter, definitions)
    {
    }

    /// <summary>On PostgreSQL when a connection string is given, else on a SQLite file.</summary>
    public RunHarness(string? postgresConnectionString, Soma.Orchestration.Export.RunGraphExporter? exporter, params WorkflowDefinition[] definitions)
    {
        Time = TimeProvider.System;
        if (postgresConnectionString is null)
        {
            var sqlite = new SqliteStore(Options.Create(new SqliteStoreOptions { Path = Path.Combine(_directory.Path, "soma.db") }), Time);
            Store = sqlite;
            Runs = new SqliteRunStore(sqlite);
            Checkpoints = new SqliteCheckpointStore(sqlite);
            Effects = new SqliteEffectsLedger(sqlite);
            Outbox = new SqliteOutbox(sqlite, Options.Create(new OutboxOptions()));
        }
        else
        {
            var postgres = new PostgresStore(Options.Create(new PostgresStoreOptions { ConnectionString = postgresConnectionString }), Time);
            Store = postgres;
            Runs = new PostgresRunStore(postgres);
            Checkpoints = new PostgresCheckpointStore(postgres);
            Effects = new PostgresEffectsLedger(postgres);
            Outbox = new PostgresOutbox(postgres, Options.Create(new OutboxOptions()));
        }

        foreach (var definition in definitions)
        {
            Workflows.Register(definition);
        }

        var ids = new UuidV7Generator(Time);
        Service = new RunService(Store, Runs, Checkpoints, Outbox, ids, Workflows, Time);
        Executor = new RunExecutor(Store, Runs, Checkpoints, Effects, Outbox, ids, Workflows, Time,
            Options.Create(new OrchestrationOptions { LeaseSeconds = LeaseSeconds }), NullLogger<RunExecutor>.Instance, exporter);
    }

    public const int LeaseSeconds = 2;

    public TimeProvider Time { get; }

    public IStore Store { get; }

    public IRunStore Runs { get; }

    public ICheckpointStore Checkpoints { get; }

    public IEffectsLedger Effects { get; }

    public IOutbox Outbox { get; }

    public WorkflowRegistry Workflows { get; } = new();

    public RunService Service { get; }

    public RunExecutor Executor { get; }

    public async Task InitializeAsync() => await Store.MigrateAsync();

    public async Task<RunRecord> StartAsync(string workflow, object? input = null, string tenant = "acme", string? idempotencyKey = null)
    {
        var result = await Service.StartAsync(tenant, workflow, null, JsonSerializer.SerializeToElement(input ?? new { }), idempotencyKey);
        return Assert.IsType<RunStartResult.Accepted>(result).Run;
    }

    /// <summary>Leases the runnable runs as one worker and executes them until none is left runnable.</summary>
    public async Task DrainAsync(string worker = "worker-1", CancellationToken cancellationToken = default)
    {
        while (await Runs.AcquireAsync(new RunLeaseRequest(worker, 64, TimeSpan.FromSeconds(LeaseSeconds)), cancellationToken) is { Count: > 0 } leased)
        {
            await Task.WhenAll(leased.Select(run => Executor.ExecuteAsync(run, worker, cancellationToken)));
        }
    }

    public async Task<RunRecord> GetAsync(RunRecord run) => (await Runs.GetAsync(run.TenantId, run.Id))!;

    /// <summary>Every event in the outbox for the tenant, in order.</summary>
    public async Task<List<JsonElement>> EventsAsync(string tenant = "acme")
    {
        var events = new List<JsonElement>();
        while (await Outbox.ClaimAsync(new OutboxClaimRequest("reader", 500, TimeSpan.FromMinutes(5)) { TenantId = tenant }) is { Count: > 0 } batch)
        {
            events.AddRange(batch.Select(e => JsonDocument.Parse(e.Message.Payload).RootElement.Clone()));
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        await ((IAsyncDisposable)Store).DisposeAsync();
        _directory.Dispose();
    }
}
