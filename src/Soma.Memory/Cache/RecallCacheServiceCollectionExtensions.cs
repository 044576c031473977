using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Memory.Cache;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wiring of the recall cache.</summary>
public static class RecallCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RecallCacheOptions"/> (bound from <c>Soma:Cache</c>, validated at start-up), the configured
    /// <see cref="IRecallCache"/> (in-process or Redis) and <see cref="MemoryRecaller"/>. The recaller needs an
    /// <see cref="IMemoryBackend"/>, which this does not register.
    /// </summary>
    public static IServiceCollection AddSomaRecallCache(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<RecallCacheOptions>().BindConfiguration(RecallCacheOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RecallCacheOptions>, RecallCacheOptionsValidator>());
        services.AddLogging();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRecallCache>(sp => sp.GetRequiredService<IOptions<RecallCacheOptions>>().Value.IsRedis
            ? ActivatorUtilities.CreateInstance<RedisRecallCache>(sp)
            : ActivatorUtilities.CreateInstance<InProcessRecallCache>(sp));
        services.TryAddSingleton<MemoryRecaller>();
        return services;
    }
}
