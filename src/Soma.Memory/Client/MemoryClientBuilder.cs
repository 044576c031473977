using Microsoft.Extensions.DependencyInjection.Extensions;
using Soma.Core.Memory;

namespace Soma.Memory.Client;

/// <summary>
/// Returned by <see cref="MemoryClientServiceCollectionExtensions.AddSomaMemoryClient"/>: chooses the backend that
/// <see cref="ResilientMemoryBackend"/> wraps and <see cref="MemoryHealthMonitor"/> probes. By default that is the HTTP
/// client (<see cref="SomaBrainHttpBackend"/>); the embedded mode puts the in-process memory service there instead.
/// </summary>
public sealed class MemoryClientBuilder
{
    /// <summary>The service key of the inner (raw) <see cref="IMemoryBackend"/>.</summary>
    public const string InnerBackendKey = "soma.memory.inner";

    internal MemoryClientBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Makes <typeparamref name="TBackend"/> (resolved from the container) the inner backend.</summary>
    public MemoryClientBuilder UseInnerBackend<TBackend>()
        where TBackend : class, IMemoryBackend
    {
        Services.RemoveAllKeyed<IMemoryBackend>(InnerBackendKey);
        Services.AddKeyedSingleton<IMemoryBackend>(InnerBackendKey, static (sp, _) => sp.GetRequiredService<TBackend>());
        return this;
    }

    /// <summary>Makes the backend built by <paramref name="factory"/> the inner backend.</summary>
    public MemoryClientBuilder UseInnerBackend(Func<IServiceProvider, IMemoryBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAllKeyed<IMemoryBackend>(InnerBackendKey);
        Services.AddKeyedSingleton(InnerBackendKey, (sp, _) => factory(sp));
        return this;
    }
}
