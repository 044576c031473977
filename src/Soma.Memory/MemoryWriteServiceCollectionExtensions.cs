using Microsoft.Extensions.DependencyInjection.Extensions;
using Soma.Core.Configuration;
using Soma.Core.Storage;
using Soma.Memory;
using Soma.Memory.Sync;
using Soma.Memory.WriteThrough;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the memory component's write side: write-through, the backlog and its cap, delivery, audit.</summary>
public static class MemoryWriteServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MemoryOptions"/>, <see cref="MemoryWriteThrough"/>, <see cref="MemoryBacklog"/> (read every second),
    /// <see cref="MemoryDispatcher"/> and <see cref="AuditTrail"/>. The sync worker is added by <see cref="AddSomaMemorySync"/>.
    /// </summary>
    public static IServiceCollection AddSomaMemory(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<MemoryOptions>(MemoryOptions.SectionName);
        services.BindAndValidate<MemorySyncOptions>(MemorySyncOptions.SectionName);
        services.TryAddSingleton<MemorySignal>();
        services.TryAddSingleton<MemoryBacklog>();
        services.AddHostedService(sp => sp.GetRequiredService<MemoryBacklog>());
        services.TryAddSingleton<MemoryWriteThrough>();
        services.AddSomaOutboxRelay();
        services.TryAddSingleton<MemoryDispatcher>();
        return services;
    }

    /// <summary>Adds the sync worker (the <c>sync</c> role): this process drains memory writes from the outbox.</summary>
    public static IServiceCollection AddSomaMemorySync(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddHostedService<MemorySyncWorker>();
        return services;
    }
}
