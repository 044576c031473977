using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Soma.Core.Configuration;
using Soma.Memory.Service;
using Soma.Memory.Vectors;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers and maps SomaAgent's own memory service (the SomaBrain protocol over an <c>IMemoryStore</c>).</summary>
public static class MemoryServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MemoryService"/>, authorization, and the <c>X-Request-ID</c> echo of its endpoints. The host
    /// provides an <c>IMemoryStore</c> (<c>AddSqliteStore()</c> or <c>AddPostgresStore()</c>) and the authentication
    /// scheme that validates bearer tokens. It does not register <c>IMemoryBackend</c>: the host chooses whether the
    /// in-process service or a remote client is the backend.
    /// <para>
    /// Recall by meaning comes on when the host also registers an <c>IEmbedder</c> (<c>AddSomaEmbeddings()</c>) and the
    /// store an <c>IMemoryVectorStore</c>: then the in-memory <see cref="VectorIndex"/> with its
    /// <see cref="VectorIndexSync"/>, and the <see cref="EmbeddingWorker"/> that gives memories their vectors, run in
    /// this process (<c>Soma:Memory:Vectors</c>, <c>Soma:Memory:Recall</c>).
    /// </para>
    /// </summary>
    public static IServiceCollection AddSomaMemoryService(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAuthorization();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MemoryService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, MemoryRequestIdStartupFilter>());

        services.AddSomaMemoryReindex();
        services.BindAndValidate<MemoryRecallOptions>(MemoryRecallOptions.SectionName);
        services.TryAddSingleton<VectorIndex>();
        services.TryAddSingleton<EmbeddingSignal>();
        services.TryAddSingleton<VectorIndexSync>();
        services.TryAddSingleton<EmbeddingWorker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, VectorServices>());
        return services;
    }

    /// <summary>
    /// Adds the <see cref="MemoryReindexer"/> and <c>Soma:Memory:Vectors</c>, which every process that reindexes needs
    /// (a gateway without the memory role reindexes the store it shares with the memory services). Safe to call again.
    /// </summary>
    public static IServiceCollection AddSomaMemoryReindex(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(MemoryReindexer)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.BindAndValidate<VectorOptions>(VectorOptions.SectionName);
        services.TryAddSingleton<VectorIndexSignal>();
        services.TryAddSingleton<MemoryReindexer>();
        return services;
    }

    /// <summary>
    /// Maps <c>POST /memory/remember</c>, <c>POST /memory/remember/batch</c>, <c>POST /memory/recall</c>,
    /// <c>POST /link</c> (authenticated) and <c>GET /health</c> (anonymous). See docs/memory.md.
    /// </summary>
    public static IEndpointRouteBuilder MapSomaMemoryService(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        MemoryServiceEndpoints.Map(endpoints);
        return endpoints;
    }
}
