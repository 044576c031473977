using Microsoft.Extensions.Options;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Storage.Postgres;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>The ports of one fresh, migrated, empty store.</summary>
public sealed record StorePorts(IStore Store, ISessionStore Sessions, IOutbox Outbox, IAuditLog Audit, IAsyncDisposable Owner) : IAsyncDisposable
{
    public required IRunStore Runs { get; init; }

    public required ICheckpointStore Checkpoints { get; init; }

    public required IEffectsLedger Effects { get; init; }

    public required IUsageLedger Usage { get; init; }

    public required IToolCallLog ToolCalls { get; init; }

    public ValueTask DisposeAsync() => Owner.DisposeAsync();
}

/// <summary>An engine the compliance suites run against; each <see cref="CreateAsync"/> is a fresh store.</summary>
public abstract class StoreEngine : IAsyncLifetime
{
    public abstract string Name { get; }

    /// <summary>A credential in the store's settings that must never show in health details or errors.</summary>
    public virtual string? Secret => null;

    public async Task<StorePorts> CreateAsync(TimeProvider time, OutboxOptions? outbox = null)
    {
        var ports = await OpenAsync(time, Options.Create(outbox ?? new OutboxOptions()));
        await ports.Store.MigrateAsync();
        return ports;
    }

    /// <summary>Opens an unmigrated store.</summary>
    public abstract Task<StorePorts> OpenAsync(TimeProvider time, IOptions<OutboxOptions> outbox);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;
}

public sealed class SqliteEngine : StoreEngine
{
    private readonly TempDirectory _directory = new("soma-sqlite");

    public override string Name => "sqlite";

    /// <summary>The file the next <see cref="OpenAsync"/> uses; a new one for each store unless set.</summary>
    public string NewPath() => Path.Combine(_directory.Path, $"{Guid.NewGuid():N}.db");

    public override Task<StorePorts> OpenAsync(TimeProvider time, IOptions<OutboxOptions> outbox) =>
        Task.FromResult(Open(NewPath(), time, outbox));

    public static StorePorts Open(string path, TimeProvider time, IOptions<OutboxOptions> outbox)
    {
        var store = new SqliteStore(Options.Create(new SqliteStoreOptions { Path = path }), time);
        return new StorePorts(store, new SqliteSessionStore(store), new SqliteOutbox(store, outbox), new SqliteAuditLog(store), store)
        {
            Runs = new SqliteRunStore(store),
            Checkpoints = new SqliteCheckpointStore(store),
            Effects = new SqliteEffectsLedger(store),
            Usage = new SqliteUsageLedger(store),
            ToolCalls = new SqliteToolCallLog(store),
        };
    }

    public override Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class PostgresEngine : StoreEngine
{
    private PostgresServer? _server;

    public override string Name => "postgres";

    // The test server trusts loopback connections, so any password works: it is only there to be kept secret.
    public override string Secret => "hunter2-not-shown";

    public PostgresServer Server => _server ?? throw new InvalidOperationException("The PostgreSQL server has not started.");

    public override async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public override async Task<StorePorts> OpenAsync(TimeProvider time, IOptions<OutboxOptions> outbox)
    {
        var connectionString = await Server.CreateDatabaseAsync() + $";Password={Secret}";
        var store = new PostgresStore(Options.Create(new PostgresStoreOptions { ConnectionString = connectionString }), time);
        return new StorePorts(store, new PostgresSessionStore(store), new PostgresOutbox(store, outbox), new PostgresAuditLog(store), store)
        {
            Runs = new PostgresRunStore(store),
            Checkpoints = new PostgresCheckpointStore(store),
            Effects = new PostgresEffectsLedger(store),
            Usage = new PostgresUsageLedger(store),
            ToolCalls = new PostgresToolCallLog(store),
        };
    }

    public override async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
