using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Soma.Memory.Service;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers and maps SomaAgent's own memory service (the SomaBrain protocol over an <c>IMemoryStore</c>).</summary>
public static class MemoryServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MemoryService"/>, authorization, and the <c>X-Request-ID</c> echo of its endpoints. The host
    /// provides an <c>IMemoryStore</c> (<c>AddSqliteStore()</c> or <c>AddPostgresStore()</c>) and the authentication
    /// scheme that validates bearer tokens. It does not register <c>IMemoryBackend</c>: the host chooses whether the
    /// in-process service or a remote client is the backend.
    /// </summary>
    public static IServiceCollection AddSomaMemoryService(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAuthorization();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MemoryService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, MemoryRequestIdStartupFilter>());
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
