using Soma.Core.Memory;

namespace Soma.Memory.Tests.Store;

/// <summary>A fresh, migrated, empty memory store, its vectors on the same database, and what owns them.</summary>
public sealed record MemoryStorePorts(IMemoryStore Memories, IMemoryVectorStore Vectors, IAsyncDisposable Owner) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Owner.DisposeAsync();
}

/// <summary>
/// An engine the memory store suite runs against; each <see cref="CreateAsync"/> is a fresh store, built by the shared
/// engine fixture through the engine's <c>Add*Store</c>.
/// </summary>
public abstract class MemoryStoreEngine(StoreEngine engine) : IAsyncLifetime
{
    public async Task<MemoryStorePorts> CreateAsync()
    {
        var ports = await engine.CreateAsync(TimeProvider.System);
        return new MemoryStorePorts(ports.Memories, ports.Vectors, ports);
    }

    public ValueTask InitializeAsync() => engine.InitializeAsync();

    public ValueTask DisposeAsync() => engine.DisposeAsync();
}

/// <summary>A real SQLite file per store, in a temp directory.</summary>
public sealed class SqliteMemoryEngine() : MemoryStoreEngine(new SqliteEngine());

/// <summary>A real PostgreSQL server per test class; a new database per store.</summary>
public sealed class PostgresMemoryEngine() : MemoryStoreEngine(new PostgresEngine());
