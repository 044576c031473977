using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Soma.Gateway.Auth;
using Soma.Server.Hosting;

namespace Soma.Gateway.Tests;

/// <summary>A real SomaAgent server (Kestrel on a free loopback port, a fresh data directory) for HTTP tests.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DirectoryInfo _dataDir;

    private RunningServer(WebApplication app, DirectoryInfo dataDir, Uri baseAddress)
    {
        _app = app;
        _dataDir = dataDir;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string DataDir => _dataDir.FullName;

    public IServiceProvider Services => _app.Services;

    /// <summary>Tokens the server made at start (the first start's admin token and the sign-in link's token).</summary>
    internal StartTokens StartTokens { get; private init; } = new(null, null);

    /// <summary>
    /// Starts a server; <paramref name="logs"/>, when given, receives every log entry from the first one on;
    /// <paramref name="services"/>, when given, adds services after the server's own (e.g. a test tool).
    /// </summary>
    public static async Task<RunningServer> StartAsync(
        IReadOnlyDictionary<string, string?>? configuration = null, ILoggerProvider? logs = null, Action<IServiceCollection>? services = null)
    {
        var dataDir = Directory.CreateTempSubdirectory("soma-gw-");
        var settings = new ServeSettings(DataDir: dataDir.FullName, Urls: "http://127.0.0.1:0")
        {
            Extra = configuration ?? new Dictionary<string, string?>(),
            ConfigureServices = services,
        };
        WebApplication? app = null;
        StartTokens tokens;
        try
        {
            app = SomaApp.Build(settings);
            if (logs is not null)
            {
                app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
            }

            tokens = await SomaApp.PrepareAsync(app, CancellationToken.None);
            await app.StartAsync();
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            dataDir.Delete(recursive: true);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, dataDir, new Uri(address)) { StartTokens = tokens };
    }

    /// <summary>A client with no token.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    /// <summary>A client with a token of <paramref name="tenant"/> signed by this server's key.</summary>
    public HttpClient For(string tenant, string subject = "tester", params string[] roles)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", IssueToken(tenant, subject, roles));
        return client;
    }

    public string IssueToken(string tenant, string subject = "tester", string[]? roles = null, TimeSpan? lifetime = null, TimeProvider? clock = null) =>
        new TokenIssuer(Hs256KeyFile.Load(Path.Combine(DataDir, "jwt-hs256.key")), "soma", "soma", clock ?? TimeProvider.System)
            .Issue(tenant, subject, roles ?? [], lifetime ?? TimeSpan.FromHours(1));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            _dataDir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing handle; the OS temp cleaner gets it.
        }
    }
}
