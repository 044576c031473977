using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Testing;
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

    public ToolAuthorizer Authorizer => _provider.GetRequiredService<ToolAuthorizer>();

    public static async Task<SqliteToolHost> StartAsync(params string[] allow)
    {
        var directory = new TempDirectory("soma-tools");
        var settings = new Dictionary<string, string?> { ["Soma:Store:Sqlite:Path"] = Path.Combine(directory.Path, "soma.db") };
        for (var i = 0; i < allow.Length; i++)
        {
            settings[$"Soma:Tools:Allow:{i}"] = allow[i];
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddSqliteStore();
        services.AddSomaTools();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var host = new SqliteToolHost(directory, provider);
        await host.Store.MigrateAsync();
        return host;
    }

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
        _directory.Dispose();
    }
}
