using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Policy;
using Soma.Policy.Engines;
using Soma.Policy.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the policy node in front of every tool, and the engine that <c>Soma:Policy:Provider</c> names.</summary>
public static class PolicyServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IPolicyEngine"/> (a <see cref="PolicyNode"/> over the embedded Rego engine with its folder
    /// reloader, or over the OPA adapter), its health component and metrics.
    /// </summary>
    public static IServiceCollection AddSomaPolicy(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.BindAndValidate<PolicyOptions>(PolicyOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        var provider = configuration[$"{PolicyOptions.SectionName}:Provider"] ?? "rego";
        if (string.Equals(provider, "opa", StringComparison.Ordinal))
        {
            services.AddOpaPolicyEngine(configuration);
            services.TryAddSingleton<IPolicyEngine>(sp => new PolicyNode(
                sp.GetRequiredService<Soma.Policy.Opa.OpaPolicyEngine>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<ILogger<PolicyNode>>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, PolicyHealth>(sp => new PolicyHealth(sp.GetRequiredService<IPolicyEngine>())));
            return services;
        }

        services.TryAddSingleton<RegoPolicyEngine>();
        services.TryAddSingleton<PolicyReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<PolicyReloader>());
        services.TryAddSingleton<IPolicyEngine>(sp => new PolicyNode(
            sp.GetRequiredService<RegoPolicyEngine>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<ILogger<PolicyNode>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, PolicyHealth>(sp =>
            new PolicyHealth(sp.GetRequiredService<IPolicyEngine>(), sp.GetRequiredService<PolicyReloader>())));
        return services;
    }
}
