using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Core.Outbox;
using Soma.Core.Storage;
using Soma.Core.Tenancy;
using Soma.Gateway.Auth;
using Soma.Gateway.Hosting;
using Soma.Storage.Sqlite;

namespace Soma.Server.Hosting;

/// <summary>The composition root: which adapters and roles this process runs, from configuration.</summary>
internal static class SomaApp
{
    public static WebApplication Build(ServeSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddSomaSources(settings.ToOverrides());
        var configuration = builder.Configuration;
        var dataDir = SomaConfiguration.ResolveDataDir(configuration);

        if (SomaRoles.TryParse(configuration["Soma:Roles"], out var roles) is { } roleError)
        {
            throw new OptionsValidationException("Soma:Roles", typeof(SomaOptions), [roleError]);
        }

        var services = builder.Services;
        services.AddOptions<SomaOptions>().BindConfiguration(SomaOptions.SectionName);
        services.AddOptions<StoreOptions>().BindConfiguration(StoreOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>());
        services.BindAndValidate<OutboxOptions>(OutboxOptions.SectionName);
        services.BindAndValidate<OutboxMonitorOptions>(OutboxMonitorOptions.SectionName);
        services.PostConfigure<AuthOptions>(auth => auth.Hs256KeyPath ??= SomaConfiguration.ResolveHs256KeyPath(configuration));
        services.PostConfigure<Gateway.Auth.Keys.KeyRingOptions>(keys => SomaConfiguration.ResolveKeyRing(keys, configuration));

        var provider = configuration[$"{StoreOptions.SectionName}:Provider"] ?? "sqlite";
        if (string.Equals(provider, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            services.AddPostgresStore();
        }
        else
        {
            services.AddSqliteStore();
            services.PostConfigure<SqliteStoreOptions>(o => o.Path = string.IsNullOrWhiteSpace(o.Path) ? SomaConfiguration.ResolveSqlitePath(configuration) : Path.GetFullPath(o.Path));
        }

        AddBus(services, configuration, roles);
        services.AddSomaOrchestration();
        AddMemory(services, configuration, roles);
        services.AddSomaPolicy(configuration);
        services.AddSomaAgents();
        services.PostConfigure<Tools.Workspaces.ToolWorkspaceOptions>(o =>
            o.Root = string.IsNullOrWhiteSpace(o.Root) ? Path.Combine(dataDir, "workspaces") : Path.GetFullPath(o.Root));
        if (roles.Contains(SomaRoles.Worker))
        {
            services.AddSomaWorker();
        }
        else
        {
            // Turns in flight are counted in the process that runs them; a gateway without a worker never sees them
            // end, so it does not limit them (the request rate limit still applies).
            services.PostConfigure<Gateway.GatewayOptions>(o => o.MaxConcurrentTurns = 1_000_000);
        }

        services.AddSingleton<OutboxMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxMonitor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Core.Health.IHealthReporter, OutboxMonitor>(sp => sp.GetRequiredService<OutboxMonitor>()));

        builder.AddSomaGateway();
        settings.ConfigureServices?.Invoke(services);
        var app = builder.Build();
        NodeInfo.Register(app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), roles);
        app.MapSomaGateway(api: roles.Contains(SomaRoles.Gateway));
        if (roles.Contains(SomaRoles.Memory))
        {
            app.MapSomaMemoryService();
        }

        return app;
    }

    // Events: the outbox relay (role relay) publishes them to the bus, in-process by default or NATS JetStream.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859:Use concrete types when possible for improved performance", Justification = "Read once at start-up; the configuration stays behind its interface.")]
    private static void AddBus(IServiceCollection services, IConfiguration configuration, IReadOnlySet<string> roles)
    {
        if (string.Equals(configuration[$"{Core.Messaging.BusOptions.SectionName}:Provider"], "nats", StringComparison.OrdinalIgnoreCase))
        {
            // JetStream for events, core NATS for live answer deltas: gateways stream turns that workers elsewhere run.
            services.AddNatsEventBus();
            services.AddNatsSessionStream();
        }

        services.AddSomaMessaging();
        if (roles.Contains(SomaRoles.Relay))
        {
            services.AddSomaEventRelay();
        }
    }

    // Memory: writes go outbox → client → memory service in every mode. With no Soma:Memory:Client:BaseUrl the service is
    // the built-in one in this process (on this store); with one, it is that server (SomaBrain or `soma serve --roles memory`).
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859:Use concrete types when possible for improved performance", Justification = "Read once at start-up; the configuration stays behind its interface.")]
    private static void AddMemory(IServiceCollection services, IConfiguration configuration, IReadOnlySet<string> roles)
    {
        var remote = !string.IsNullOrWhiteSpace(configuration[$"{Memory.Client.MemoryClientOptions.SectionName}:BaseUrl"]);
        if (!remote || roles.Contains(SomaRoles.Memory))
        {
            services.AddSomaMemoryService();
        }

        // Recall by meaning: the memory service embeds with it, and the gateway's reindex too. Models load on first use.
        services.AddSomaEmbeddings(configuration);
        services.AddSomaMemoryReindex();

        var client = services.AddSomaMemoryClient();
        if (!remote)
        {
            client.UseInnerBackend<Memory.Service.MemoryService>();
        }
        else
        {
            // Without Soma:Memory:Client:ApiKey, a short-lived token signed by this fleet's own keys.
            services.AddSingleton<Memory.Client.IMemoryClientCredentials, SelfIssuedMemoryToken>();
        }

        services.AddSingleton<Core.Memory.IMemoryBackend>(sp => sp.GetRequiredService<Memory.Client.ResilientMemoryBackend>());
        services.AddSomaRecallCache();
        services.AddSomaMemory();
        if (roles.Contains(SomaRoles.Sync))
        {
            services.AddSomaMemorySync();
        }
    }

    /// <summary>
    /// Everything between building and listening: validate every option (nothing is written when one is wrong), create
    /// the data directory (0700) and the signing keys (0600) on first start, read the key ring, and migrate the store.
    /// </summary>
    /// <returns>An admin token for the default tenant when this was the first start (the key was just created), and a sign-in token for the web UI.</returns>
    /// <exception cref="OptionsValidationException">A setting is wrong; the failures name their keys.</exception>
    /// <exception cref="StoreException">The store cannot be reached or migrated.</exception>
    /// <exception cref="Gateway.Auth.Keys.KeySourceException">The signing keys cannot be read.</exception>
    public static async Task<StartTokens> PrepareAsync(WebApplication app, CancellationToken cancellationToken)
    {
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        // A policy folder that does not load stops the start here, naming file:line, before anything is written.
        app.Services.GetService<Policy.Hosting.PolicyReloader>()?.LoadAtStart();
        EnsureDataDir(app.Configuration);

        string? adminToken = null;
        string? signInToken = null;
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (auth.Mode == AuthMode.Hs256)
        {
            // A first start is one that creates the key: the data directory's jwt-hs256.key, from which the ring is made.
            var source = app.Services.GetRequiredService<Gateway.Auth.Keys.IKeySource>();
            var firstStart = !File.Exists(auth.Hs256KeyPath) && source switch
            {
                Gateway.Auth.Keys.DataDirKeyStore ring => !File.Exists(ring.RingPath),
                var other => other.Name == "key-file",
            };
            var keys = app.Services.GetRequiredService<Gateway.Auth.Keys.KeyRingProvider>();
            await keys.LoadAtStartAsync(cancellationToken);
            // A ring of public keys only (tokens signed elsewhere) signs nothing: no tokens to print then.
            var issuer = keys.Current.SignerAt(TimeProvider.System.GetUtcNow()) is null ? null : keys.Issuer(auth.Issuer, auth.Audience);
            if (firstStart)
            {
                adminToken = issuer?.Issue(TenantId.Default, "admin", ["admin"], Min(AdminTokenLifetime, auth.MaxTokenLifetime));
            }

            // Every start on the data directory's keys (one node, a person at its console) prints a short-lived sign-in link
            // for the web UI. Keys shared by a fleet (a mounted folder, Vault, a key file) mean a deployment whose output
            // goes to a log store: no admin token there; operators issue their own with 'soma token issue'.
            if (source is Gateway.Auth.Keys.DataDirKeyStore)
            {
                signInToken = issuer?.Issue(TenantId.Default, "admin", ["admin"], Min(SignInTokenLifetime, auth.MaxTokenLifetime));
            }
        }

        await app.Services.GetRequiredService<IStore>().MigrateAsync(cancellationToken);
        return new StartTokens(adminToken, signInToken);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Creates the data directory (0700) when it is missing.</summary>
    public static void EnsureDataDir(IConfiguration configuration)
    {
        var dataDir = SomaConfiguration.ResolveDataDir(configuration);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dataDir);
        }
        else
        {
            Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>How long the first start's admin token is valid.</summary>
    public static readonly TimeSpan AdminTokenLifetime = TimeSpan.FromDays(30);

    /// <summary>How long the sign-in link printed at each start stays valid.</summary>
    public static readonly TimeSpan SignInTokenLifetime = TimeSpan.FromHours(12);
}

/// <summary>Tokens printed when the server starts (HS256 mode).</summary>
/// <param name="Admin">The first start's admin token, else null.</param>
/// <param name="SignIn">A short-lived token for the web UI's sign-in link.</param>
internal sealed record StartTokens(string? Admin, string? SignIn);
