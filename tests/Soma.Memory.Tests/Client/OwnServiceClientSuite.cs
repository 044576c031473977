using Soma.Memory.Tests.Service;
using Soma.Testing;

namespace Soma.Memory.Tests.Client;

/// <summary>The client compliance suite against SomaAgent's own memory service on SQLite (a host per test).</summary>
public sealed class OwnServiceSqliteClientSuite : MemoryClientSuite
{
    protected override async Task<MemoryPeer> StartPeerAsync()
    {
        var host = await MemoryServiceHost.StartSqliteAsync();

        // The sync worker's token: the memory role writes for any tenant.
        return new MemoryPeer(host.BaseAddress, host.Token("default", "memory"), host);
    }
}

/// <summary>The client compliance suite against SomaAgent's own memory service on PostgreSQL (one server, a database per test).</summary>
public sealed class OwnServicePostgresClientSuite(OwnServicePostgresClientSuite.Server server) : MemoryClientSuite, IClassFixture<OwnServicePostgresClientSuite.Server>
{
    protected override async Task<MemoryPeer> StartPeerAsync()
    {
        var host = await MemoryServiceHost.StartPostgresAsync(await server.Postgres.CreateDatabaseAsync());
        return new MemoryPeer(host.BaseAddress, host.Token("default", "memory"), host);
    }

    /// <summary>One PostgreSQL server for the class.</summary>
    public sealed class Server : IAsyncLifetime
    {
        public PostgresServer Postgres { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Postgres = await PostgresServer.StartAsync();

        public async ValueTask DisposeAsync() => await Postgres.DisposeAsync();
    }
}
