using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Memory;
using Soma.Memory.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the memory client: options, the HTTP backend, the resilient decorator and the health monitor.</summary>
public static class MemoryClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MemoryClientOptions"/> (from <c>Soma:Memory:Client</c>, validated at start),
    /// <see cref="SomaBrainHttpBackend"/> (its own pooled <see cref="SocketsHttpHandler"/> client),
    /// <see cref="ResilientMemoryBackend"/> over the inner backend (keyed <see cref="MemoryClientBuilder.InnerBackendKey"/>;
    /// the HTTP backend unless the returned builder says otherwise) and <see cref="MemoryHealthMonitor"/> as a hosted
    /// service and <see cref="IHealthReporter"/>. The unkeyed <see cref="IMemoryBackend"/> is left for the host to choose.
    /// </summary>
    public static MemoryClientBuilder AddSomaMemoryClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<MemoryClientOptions>(MemoryClientOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MemoryClientOptions>, MemoryClientOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => SomaBrainHttpBackend.Create(
            sp.GetRequiredService<IOptions<MemoryClientOptions>>().Value, sp.GetRequiredService<TimeProvider>(), sp.GetService<IMemoryClientCredentials>()));
        services.TryAddKeyedSingleton<IMemoryBackend>(MemoryClientBuilder.InnerBackendKey, static (sp, _) => sp.GetRequiredService<SomaBrainHttpBackend>());
        services.TryAddSingleton(sp => new ResilientMemoryBackend(
            sp.GetRequiredKeyedService<IMemoryBackend>(MemoryClientBuilder.InnerBackendKey),
            sp.GetRequiredService<IOptions<MemoryClientOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp =>
        {
            var client = sp.GetRequiredService<ResilientMemoryBackend>();
            return new MemoryHealthMonitor(
                client.Inner,
                client,
                sp.GetRequiredService<IOptions<MemoryClientOptions>>().Value,
                sp.GetRequiredService<IMeterFactory>(),
                sp.GetRequiredService<ILogger<MemoryHealthMonitor>>(),
                sp.GetRequiredService<TimeProvider>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<MemoryHealthMonitor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, MemoryHealthMonitor>(sp => sp.GetRequiredService<MemoryHealthMonitor>()));
        return new MemoryClientBuilder(services);
    }
}
