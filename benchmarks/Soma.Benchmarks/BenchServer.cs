using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Soma.Gateway.Auth;
using Soma.Server.Hosting;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// The real <c>soma</c> server built in this process, as <c>soma serve</c> builds it (Kestrel on a free loopback port, a
/// fresh data directory), with configuration overrides. Limits that would throttle a load driver are lifted here, and
/// logs go at Warning so the console stays the table's.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempDirectory _dataDir;

    private BenchServer(WebApplication app, TempDirectory dataDir, Uri baseAddress)
    {
        _app = app;
        _dataDir = dataDir;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The server's services (its store, outbox, memory client …), for drivers that work below HTTP.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The server's data directory (its <c>soma.db</c> and key).</summary>
    public string DataDirectory => _dataDir.Path;

    public static async Task<BenchServer> StartAsync(IReadOnlyDictionary<string, string?> configuration)
    {
        var dataDir = new TempDirectory("soma-bench-server");
        var extra = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Soma:Gateway:RequestsPerSecond"] = "10000000",
            ["Soma:Gateway:RequestBurst"] = "10000000",
            ["Soma:Gateway:MaxConcurrentTurns"] = "1000000",
            // No sync role drains memory writes in these servers, and every accepted turn reserves its writes: without a
            // raised cap a tenant's backlog is full after about 33,000 messages and every later one is a fast 503, which
            // would measure the cap, not the ingest.
            ["Soma:Memory:OutboxCapPerTenant"] = "10000000",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        };
        foreach (var (key, value) in configuration)
        {
            extra[key] = value;
        }

        var app = SomaApp.Build(new ServeSettings(DataDir: dataDir.Path, Urls: "http://127.0.0.1:0") { Extra = extra });
        try
        {
            await SomaApp.PrepareAsync(app, CancellationToken.None);
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            dataDir.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BenchServer(app, dataDir, new Uri(address));
    }

    /// <summary>
    /// A client of one shared <see cref="SocketsHttpHandler"/>: HTTP/1.1, keep-alive, connections never recycled, and an
    /// admin token of tenant <c>bench</c> on every request.
    /// </summary>
    public HttpClient CreateClient(int maxConnections = int.MaxValue)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = BaseAddress,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", IssueToken());
        return client;
    }

    private string IssueToken() => IssueToken("bench", "bench", ["admin"]);

    /// <summary>A token of this server's key, e.g. the service token a memory client sends (roles <c>memory</c>).</summary>
    public string IssueToken(string tenant, string subject, string[] roles) =>
        new TokenIssuer(Hs256KeyFile.Load(Path.Combine(_dataDir.Path, "jwt-hs256.key")), "soma", "soma", TimeProvider.System)
            .Issue(tenant, subject, roles, TimeSpan.FromHours(2));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dataDir.Dispose();
    }
}
