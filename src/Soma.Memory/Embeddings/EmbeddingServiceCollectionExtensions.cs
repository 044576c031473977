using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Memory;
using Soma.Memory.Embeddings;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wiring of the embedders.</summary>
public static class EmbeddingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="EmbeddingOptions"/> (bound from <c>Soma:Memory:Embeddings</c>, validated at start: an unknown
    /// in-process model, a missing URL, a range broken stops the start naming the key), <see cref="IEmbedderCatalog"/>,
    /// and <see cref="IEmbedder"/> (the configured embedder) unless <c>Soma:Memory:Embeddings:Provider</c> in
    /// <paramref name="configuration"/> is <c>None</c>, with the <c>embedder</c> component of <c>/v1/health</c>. An in-process
    /// model loads at the first embedding, or when the memory service starts (<c>LoadAtStart</c>).
    /// </summary>
    public static IServiceCollection AddSomaEmbeddings(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.BindAndValidate<EmbeddingOptions>(EmbeddingOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmbeddingOptions>, EmbeddingOptionsValidator>());
        services.AddLogging();
        services.AddMetrics();
        services.TryAddSingleton<EmbedderCatalog>();
        services.TryAddSingleton<IEmbedderCatalog>(sp => sp.GetRequiredService<EmbedderCatalog>());
        var provider = configuration[$"{EmbeddingOptions.SectionName}:{nameof(EmbeddingOptions.Provider)}"];
        if (!string.Equals(provider?.Trim(), EmbeddingOptions.NoneProvider, StringComparison.OrdinalIgnoreCase))
        {
            // The catalog owns it; the container disposes it too, which is harmless (disposal is idempotent).
            services.TryAddSingleton<IEmbedder>(sp => sp.GetRequiredService<EmbedderCatalog>().Configured
                ?? throw new InvalidOperationException($"{EmbeddingOptions.SectionName}:Provider is '{EmbeddingOptions.NoneProvider}': no embedder."));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, EmbedderHealth>());
        }

        return services;
    }
}
