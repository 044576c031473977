using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Core.Storage;
using Xunit;

namespace Soma.Testing.Engines;

/// <summary>
/// A real database engine the suites run against. Each <see cref="CreateAsync"/> is a fresh, migrated, empty store whose
/// ports come from the engine's public <c>Add*Store</c> extension and a service provider, exactly as a server wires them:
/// the tests see what users see, and the adapter classes stay internal.
/// </summary>
public abstract class StoreEngine : IAsyncLifetime
{
    public abstract string Name { get; }

    /// <summary>A credential in the store's settings that must never show in health details or errors.</summary>
    public virtual string? Secret => null;

    /// <summary>A fresh, migrated store on <paramref name="time"/>'s clock.</summary>
    public async Task<StorePorts> CreateAsync(TimeProvider time, OutboxOptions? outbox = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var ports = await OpenAsync(time, outbox, settings);
        await ports.Store.MigrateAsync();
        return ports;
    }

    /// <summary>A fresh store, not migrated yet; <paramref name="settings"/> are more configuration keys (e.g. <c>Soma:Store:Sqlite:Synchronous</c>).</summary>
    public async Task<StorePorts> OpenAsync(TimeProvider time, OutboxOptions? outbox = null, IReadOnlyDictionary<string, string?>? settings = null) =>
        Build(await NewStoreSettingsAsync(), time, outbox, settings);

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The configuration of a new, empty database of this engine.</summary>
    protected abstract Task<Dictionary<string, string?>> NewStoreSettingsAsync();

    /// <summary>Registers the engine's ports (its <c>Add*Store</c>).</summary>
    protected abstract void AddStore(IServiceCollection services);

    /// <summary>The ports of the store that <paramref name="storeSettings"/> describe, built through <see cref="AddStore"/>.</summary>
    protected StorePorts Build(Dictionary<string, string?> storeSettings, TimeProvider time, OutboxOptions? outbox, IReadOnlyDictionary<string, string?>? settings)
    {
        ArgumentNullException.ThrowIfNull(storeSettings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            storeSettings[key] = value;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(storeSettings).Build());
        services.AddSingleton(time);
        services.AddSingleton(Options.Create(outbox ?? new OutboxOptions()));
        AddStore(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return new StorePorts(provider);
    }
}
