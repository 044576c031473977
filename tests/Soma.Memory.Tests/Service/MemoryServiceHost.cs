using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Soma.Core.Storage;
using Soma.Testing;

namespace Soma.Memory.Tests.Service;

/// <summary>
/// SomaAgent's memory service on a real Kestrel server at a free loopback port, for tests that speak the protocol over
/// HTTP (this project's protocol suite, the memory client's suite). Bearer tokens are HS256 JWTs over a random key made
/// for this host; <see cref="Token"/> issues them. The store is a fresh SQLite file (<see cref="StartSqliteAsync"/>)
/// or a PostgreSQL database the caller provides (<see cref="StartPostgresAsync"/>), migrated before the first request.
/// </summary>
public sealed class MemoryServiceHost : IAsyncDisposable
{
    private const string Issuer = "soma-test";
    private const string Audience = "soma-memory";

    private readonly WebApplication _app;
    private readonly byte[] _key;
    private readonly TempDirectory? _directory;

    private MemoryServiceHost(WebApplication app, byte[] key, Uri baseAddress, TempDirectory? directory)
    {
        _app = app;
        _key = key;
        BaseAddress = baseAddress;
        _directory = directory;
    }

    /// <summary>Where the service listens, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The service's dependencies (the store, the <c>MemoryService</c>), for tests that look behind the API.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts the service on a new SQLite file (deleted on dispose). Recall by meaning is on with the in-process model,
    /// as in a default deployment, unless <paramref name="settings"/> say otherwise (e.g. <c>Soma:Memory:Embeddings:*</c>).
    /// </summary>
    public static Task<MemoryServiceHost> StartSqliteAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var directory = new TempDirectory("soma-memory-host");
        return StartAsync(
            With(new Dictionary<string, string?> { ["Soma:Store:Sqlite:Path"] = Path.Combine(directory.Path, "memory.db") }, settings),
            services => services.AddSqliteStore(),
            directory);
    }

    /// <summary>Starts the service on the PostgreSQL database at <paramref name="connectionString"/> (see <c>PostgresServer.CreateDatabaseAsync</c>).</summary>
    public static Task<MemoryServiceHost> StartPostgresAsync(string connectionString, IReadOnlyDictionary<string, string?>? settings = null) =>
        StartAsync(
            With(new Dictionary<string, string?> { ["Soma:Store:Postgres:ConnectionString"] = connectionString }, settings),
            services => services.AddPostgresStore(),
            null);

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?>? extra)
    {
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A bearer token for <paramref name="tenant"/> with <paramref name="roles"/>, valid for an hour.</summary>
    public string Token(string tenant, params string[] roles)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(_key), SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                ["tenant"] = tenant,
                ["sub"] = $"test:{tenant}",
                ["roles"] = roles,
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _directory?.Dispose();
    }

    private static async Task<MemoryServiceHost> StartAsync(
        Dictionary<string, string?> settings, Action<IServiceCollection> addStore, TempDirectory? directory)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        // Port 0: the kernel picks a free port at bind time (a port picked before could be taken in between).
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        addStore(builder.Services);
        builder.Services.AddSomaMemoryService();
        builder.Services.AddSomaEmbeddings(builder.Configuration);
        builder.Services.AddMetrics();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.RequireHttpsMetadata = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = Issuer,
                ValidAudience = Audience,
                IssuerSigningKey = new SymmetricSecurityKey(key),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                NameClaimType = "sub",
                RoleClaimType = "roles",
            };
        });

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapSomaMemoryService();
        try
        {
            await app.Services.GetRequiredService<IStore>().MigrateAsync();
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            directory?.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new MemoryServiceHost(app, key, new Uri(address.TrimEnd('/') + "/"), directory);
    }
}
