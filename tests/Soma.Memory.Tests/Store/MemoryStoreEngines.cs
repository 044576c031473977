using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Storage.Postgres;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Memory.Tests.Store;

/// <summary>A fresh, migrated, empty memory store, its vectors on the same database, and what owns them.</summary>
public sealed record MemoryStorePorts(IMemoryStore Memories, IMemoryVectorStore Vectors, IAsyncDisposable Owner) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Owner.DisposeAsync();
}

/// <summary>An engine the memory store suite runs against; each <see cref="CreateAsync"/> is a fresh store.</summary>
public abstract class MemoryStoreEngine : IAsyncLifetime
{
    public abstract Task<MemoryStorePorts> CreateAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>A real SQLite file per store, in a temp directory.</summary>
public sealed class SqliteMemoryEngine : MemoryStoreEngine
{
    private readonly TempDirectory _directory = new("soma-memory-sqlite");

    public override async Task<MemoryStorePorts> CreateAsync()
    {
        var store = new SqliteStore(Options.Create(new SqliteStoreOptions { Path = Path.Combine(_directory.Path, $"{Guid.NewGuid():N}.db") }), TimeProvider.System);
        await store.MigrateAsync();
        return new MemoryStorePorts(new SqliteMemoryStore(store), new SqliteMemoryVectorStore(store), store);
    }

    public override Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>A real PostgreSQL server per test class; a new database per store.</summary>
public sealed class PostgresMemoryEngine : MemoryStoreEngine
{
    private PostgresServer? _server;

    public override async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public override async Task<MemoryStorePorts> CreateAsync()
    {
        var server = _server ?? throw new InvalidOperationException("The PostgreSQL server has not started.");
        var store = new PostgresStore(Options.Create(new PostgresStoreOptions { ConnectionString = await server.CreateDatabaseAsync() }), TimeProvider.System);
        await store.MigrateAsync();
        return new MemoryStorePorts(new PostgresMemoryStore(store), new PostgresMemoryVectorStore(store), store);
    }

    public override async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
