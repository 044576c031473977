using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Testing;

namespace Soma.Gateway.Tests;

/// <summary>The same server on PostgreSQL: switching engines is a configuration change only.</summary>
public sealed class PostgresServerTests : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        var connectionString = await _postgres.CreateDatabaseAsync();
        _server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Store:Provider"] = "postgres",
            ["Soma:Store:Postgres:ConnectionString"] = connectionString,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task Health_reports_the_postgres_store_and_sessions_work_with_tenancy()
    {
        using var client = _server.For("acme");
        var health = await client.GetFromJsonAsync<JsonElement>("/v1/health");
        var store = health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "store");
        Assert.Equal("postgres", store.GetProperty("details").GetProperty("engine").GetString());
        Assert.Equal("normal", store.GetProperty("status").GetString());
        Assert.DoesNotContain("Password", store.GetRawText(), StringComparison.OrdinalIgnoreCase);

        var created = await client.PostAsJsonAsync("/v1/sessions", new { title = "on postgres" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        Assert.Equal("on postgres", (await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}")).GetProperty("title").GetString());

        using var other = _server.For("globex");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/sessions/{id}")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(_server.DataDir, "soma.db")) || File.Exists(Path.Combine(_server.DataDir, "soma.db")), "no SQLite file when PostgreSQL is configured");
    }
}
