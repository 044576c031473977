using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;

namespace Soma.Testing.Engines;

/// <summary>A real PostgreSQL server per fixture (started from the machine's binaries), a new database per store.</summary>
public sealed class PostgresEngine : StoreEngine
{
    private PostgresServer? _server;

    public override string Name => "postgres";

    // The test server trusts loopback connections, so any password works: it is only there to be kept secret.
    public override string Secret => "hunter2-not-shown";

    public PostgresServer Server => _server ?? throw new InvalidOperationException("The PostgreSQL server has not started.");

    /// <summary>The ports of the database at <paramref name="connectionString"/> (not migrated); <paramref name="settings"/> are more keys.</summary>
    public static StorePorts Open(string connectionString, TimeProvider time, OutboxOptions? outbox = null, IReadOnlyDictionary<string, string?>? settings = null) =>
        new PostgresEngine().Build(new() { ["Soma:Store:Postgres:ConnectionString"] = connectionString }, time, outbox, settings);

    public override async ValueTask InitializeAsync() => _server = await PostgresServer.StartAsync();

    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    protected override async Task<Dictionary<string, string?>> NewStoreSettingsAsync() =>
        new() { ["Soma:Store:Postgres:ConnectionString"] = await Server.CreateDatabaseAsync() + $";Password={Secret}" };

    protected override void AddStore(IServiceCollection services) => services.AddPostgresStore();
}
