using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Soma.Contracts.Identity;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Runs;
using Soma.Orchestration.Workflows;
using Soma.Testing;
using Soma.Testing.Engines;

namespace Soma.Orchestration.Tests.Runs;

/// <summary>
/// The runner on a real store (a SQLite file in a temp directory, or a PostgreSQL database) built through its
/// <c>Add*Store</c> by the shared engine fixture; the runner's own classes wired by hand. On a
/// <see cref="FakeTimeProvider"/> a test lets a lease run out by advancing the clock instead of sleeping.
/// </summary>
internal sealed class RunHarness : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("soma-runs");
    private readonly StorePorts _ports;

    public RunHarness(params WorkflowDefinition[] definitions)
        : this(null, null, TimeProvider.System, definitions)
    {
    }

    public RunHarness(TimeProvider time, params WorkflowDefinition[] definitions)
        : this(null, null, time, definitions)
    {
    }

    public RunHarness(Soma.Orchestration.Export.RunGraphExporter? exporter, params WorkflowDefinition[] definitions)
        : this(null, exporter, TimeProvider.System, definitions)
    {
    }

    /// <summary>On PostgreSQL when a connection string is given, else on a SQLite file.</summary>
    public RunHarness(string? postgresConnectionString, Soma.Orchestration.Export.RunGraphExporter? exporter, params WorkflowDefinition[] definitions)
        : this(postgresConnectionString, exporter, TimeProvider.System, definitions)
    {
    }

    /// <summary>On PostgreSQL with <c>Soma:Store:Postgres:GroupCommit</c> set to <paramref name="groupCommit"/>.</summary>
    public RunHarness(string postgresConnectionString, int groupCommit, params WorkflowDefinition[] definitions)
        : this(postgresConnectionString, null, TimeProvider.System, definitions, new Dictionary<string, string?> { ["Soma:Store:Postgres:GroupCommit"] = $"{groupCommit}" })
    {
    }

    private RunHarness(string? postgresConnectionString, Soma.Orchestration.Export.RunGraphExporter? exporter, TimeProvider time, WorkflowDefinition[] definitions,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        Time = time;
        _ports = postgresConnectionString is null
            ? SqliteEngine.Open(Path.Combine(_directory.Path, "soma.db"), Time)
            : PostgresEngine.Open(postgresConnectionString, Time, settings: settings);
        (Store, Runs, Checkpoints, Effects, Outbox) = (_ports.Store, _ports.Runs, _ports.Checkpoints, _ports.Effects, _ports.Outbox);

        foreach (var definition in definitions)
        {
            Workflows.Register(definition);
        }

        var ids = new UuidV7Generator(Time);
        Service = new RunService(Store, Runs, Checkpoints, Outbox, ids, Workflows, Time, signal: Signal, handOff: HandOff);
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

    /// <summary>The in-process hand-off of accepted runs; closed (every start unleased) until a test or a worker opens it.</summary>
    public RunHandOff HandOff { get; } = new();

    /// <summary>Wakes a <see cref="RunWorker"/> built on this harness.</summary>
    public RunSignal Signal { get; } = new();

    public RunExecutor Executor { get; }

    public async ValueTask InitializeAsync() => await Store.MigrateAsync();

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
            events.AddRange(batch.SelectMany(e => OutboxBundles.Unpack(e.Message)).Select(m => JsonDocument.Parse(m.Payload).RootElement.Clone()));
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        await _ports.DisposeAsync();
        _directory.Dispose();
    }
}
