using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Soma.Contracts.Identity;
using Soma.Core.Storage;
using Soma.Policy.Hosting;
using Soma.Testing;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests;

/// <summary>
/// The tools wired the way the server wires them (<c>AddSqliteStore</c> + <c>AddSomaTools</c> from configuration) on a
/// fresh, migrated SQLite file in a temp directory.
/// </summary>
internal sealed class SqliteToolHost : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly ServiceProvider _provider;

    private SqliteToolHost(TempDirectory directory, ServiceProvider provider)
    {
        _directory = directory;
        _provider = provider;
    }

    public IStore Store => _provider.GetRequiredService<IStore>();

    public ISessionStore Sessions => _provider.GetRequiredService<ISessionStore>();

    public ToolRegistry Registry => _provider.GetRequiredService<ToolRegistry>();

    public ToolInvoker Invoker => _provider.GetRequiredService<ToolInvoker>();

    public IAuditLog Audit => _provider.GetRequiredService<IAuditLog>();

    public IServiceProvider Services => _provider;

    /// <summary>Pass as the roles to use the shipped <c>conf/roles.yaml</c>.</summary>
    public const string ShippedRoles = "(shipped)";

    /// <summary>The data directory: the store's <c>soma.db</c> and <c>workspaces/</c>.</summary>
    public string DataDirectory => _directory.Path;

    /// <summary>
    /// The tools over a fresh store, decided by the embedded policy over the shipped policies and <paramref name="rolesYaml"/>
    /// (<see cref="ShippedRoles"/>: the shipped <c>conf/roles.yaml</c>). The temp directory is the data directory: the
    /// store is <c>soma.db</c> in it and the workspaces are under <c>workspaces/</c>, as the server lays them out.
    /// </summary>
    public static async Task<SqliteToolHost> StartAsync(string? rolesYaml = null, Action<IServiceCollection>? configure = null, IReadOnlyDictionary<string, string?>? extraSettings = null)
    {
        var directory = new TempDirectory("soma-tools");
        var policy = rolesYaml == ShippedRoles ? PolicyFolder.Create() : PolicyFolder.Create(rolesYaml ?? "version: 1\ndefault_roles: [user]\nroles:\n  user: {tools: [\"*\"]}\n");
        var settings = new Dictionary<string, string?>
        {
            ["Soma:Store:Sqlite:Path"] = Path.Combine(directory.Path, "soma.db"),
            ["Soma:Policy:Directory"] = policy.Path,
            ["Soma:Tools:Workspaces:Root"] = Path.Combine(directory.Path, "workspaces"),
        };
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<IIdGenerator>(new UuidV7Generator(TimeProvider.System));
        services.AddSqliteStore();
        services.AddSomaPolicy(configuration);
        services.AddSomaTools();
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var host = new SqliteToolHost(directory, provider) { _policy = policy };
        provider.GetRequiredService<PolicyReloader>().LoadAtStart();
        await host.Store.MigrateAsync();
        return host;
    }

    private PolicyFolder? _policy;

    public ITool Tool(string name) => Registry.TryGet(name, out var tool) ? tool : throw new InvalidOperationException($"No tool '{name}'.");

    public async Task<Session> CreateSessionAsync(string tenantId, Guid? id = null)
    {
        var session = new Session(id ?? Guid.CreateVersion7(), tenantId, null, null, ToolCalls.Now, ToolCalls.Now);
        await using var transaction = await Store.BeginAsync();
        await Sessions.CreateAsync(transaction, session);
        await transaction.CommitAsync();
        return session;
    }

    /// <summary>Appends <paramref name="contents"/> in order, one second apart starting at <paramref name="start"/>.</summary>
    public async Task<IReadOnlyList<SessionMessage>> AppendAsync(Session session, DateTimeOffset start, params string[] contents)
    {
        var messages = contents
            .Select((content, i) => new SessionMessage(Guid.CreateVersion7(), session.TenantId, session.Id, i % 2 == 0 ? "user" : "assistant", content, null, start.AddSeconds(i)))
            .ToList();
        await using var transaction = await Store.BeginAsync();
        foreach (var message in messages)
        {
            if (!await Sessions.AppendMessageAsync(transaction, message))
            {
                throw new InvalidOperationException("The session does not exist.");
            }
        }

        await transaction.CommitAsync();
        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        _policy?.Dispose();
        _directory.Dispose();
    }
}
