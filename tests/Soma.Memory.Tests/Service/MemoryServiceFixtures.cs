using Soma.Testing;

namespace Soma.Memory.Tests.Service;

/// <summary>One memory service per test class, on the engine the class is about.</summary>
public abstract class MemoryServiceFixture : IAsyncLifetime
{
    public MemoryServiceHost Host { get; protected set; } = null!;

    public abstract ValueTask InitializeAsync();

    public virtual async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }
}

public sealed class SqliteMemoryServiceFixture : MemoryServiceFixture
{
    public override async ValueTask InitializeAsync() => Host = await MemoryServiceHost.StartSqliteAsync();
}

public sealed class PostgresMemoryServiceFixture : MemoryServiceFixture
{
    private PostgresServer? _server;

    public override async ValueTask InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        Host = await MemoryServiceHost.StartPostgresAsync(await _server.CreateDatabaseAsync());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
