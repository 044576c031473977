using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Memory.Tests.Store;

/// <summary><c>AddSqliteStore()</c> and <c>AddPostgresStore()</c> provide the vector store on the same database as the memories.</summary>
public sealed class MemoryVectorStoreRegistrationTests
{
    [Fact]
    public async Task The_sqlite_store_provides_a_vector_store_that_sees_the_memories_written_through_it()
    {
        using var directory = new TempDirectory("soma-vector-di");
        await using var provider = Provider(new() { ["Soma:Store:Sqlite:Path"] = Path.Combine(directory.Path, "soma.db") }, s => s.AddSqliteStore());
        await provider.GetRequiredService<IStore>().MigrateAsync();
        using var value = JsonDocument.Parse("""{"text":"registered"}""");
        await provider.GetRequiredService<IMemoryStore>().UpsertAsync("t", "agent", [new RememberItem("k", value.RootElement.Clone())], DateTimeOffset.UnixEpoch);

        var vectors = provider.GetRequiredService<IMemoryVectorStore>();

        Assert.Equal("SqliteMemoryVectorStore", vectors.GetType().Name);
        Assert.Equal("registered", Assert.Single(await vectors.LeasePendingAsync(10, TimeSpan.FromMinutes(1), DateTimeOffset.UnixEpoch)).Text);
    }

    [Fact]
    public async Task The_postgres_store_provides_its_vector_store()
    {
        await using var provider = Provider(new() { ["Soma:Store:Postgres:ConnectionString"] = "Host=127.0.0.1;Port=1;Database=soma" }, s => s.AddPostgresStore());

        Assert.Equal("PostgresMemoryVectorStore", provider.GetRequiredService<IMemoryVectorStore>().GetType().Name);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings, Action<IServiceCollection> addStore)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        addStore(services);
        return services.BuildServiceProvider();
    }
}
