using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Core.Policy;
using Soma.Policy.Opa;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OPA policy engine (<c>Soma:Policy:Provider=opa</c>).</summary>
public static class OpaServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="OpaOptions"/> (from <c>Soma:Policy:Opa</c>, validated at start: the URL is required when
    /// <c>Soma:Policy:Provider</c> in <paramref name="configuration"/> is <c>opa</c>) and <see cref="OpaPolicyEngine"/>
    /// as a singleton with its own pooled HTTP client, also as the <see cref="IPolicyEngine"/> keyed
    /// <see cref="OpaPolicyEngine.EngineName"/>. The unkeyed <see cref="IPolicyEngine"/> is left for the host to choose.
    /// </summary>
    /// <remarks>
    /// The project has no <c>IHttpClientFactory</c>: like the memory client, the engine owns one long-lived client whose
    /// pooled connections are recycled, which is what the factory would give it.
    /// </remarks>
    public static IServiceCollection AddOpaPolicyEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(OpaPolicyEngine)))
        {
            return services;
        }

        services.BindAndValidate<OpaOptions>(OpaOptions.SectionName);
        services.AddSingleton<IValidateOptions<OpaOptions>>(new OpaOptionsValidator(configuration));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new OpaPolicyEngine(
            sp.GetRequiredService<IOptions<OpaOptions>>().Value,
            sp.GetService<ILogger<OpaPolicyEngine>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddKeyedSingleton<IPolicyEngine>(OpaPolicyEngine.EngineName, static (sp, _) => sp.GetRequiredService<OpaPolicyEngine>());
        return services;
    }
}
