using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Orchestration.Demo;
using Soma.Orchestration.Export;
using Soma.Orchestration.Runs;
using Soma.Orchestration.Workflows;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the orchestrator.</summary>
public static class OrchestrationServiceCollectionExtensions
{
    /// <summary>
    /// Adds the workflow registry (every <see cref="WorkflowDefinition"/> registered as a service, plus the demo
    /// workflows), the run service and the executor. The stores come from a storage adapter.
    /// </summary>
    public static IServiceCollection AddSomaOrchestration(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<OrchestrationOptions>(OrchestrationOptions.SectionName);
        services.BindAndValidate<DemoOptions>(DemoOptions.SectionName);
        services.BindAndValidate<ExportOptions>(ExportOptions.SectionName);
        services.TryAddSingleton(sp => new RunGraphExporter(
            sp.GetRequiredService<IOptions<ExportOptions>>(), new HttpClient { Timeout = TimeSpan.FromSeconds(5) },
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<RunGraphExporter>>()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton("soma.demo", (_, _) => new HttpClient { Timeout = TimeSpan.FromSeconds(10) });
        services.TryAddSingleton<PolicyGate>();
        foreach (var durability in (WorkflowDurability[])[WorkflowDurability.PerStep, WorkflowDurability.Batched()])
        {
            services.AddSingleton(sp => DemoWorkflows.Pipeline(sp.GetRequiredKeyedService<HttpClient>("soma.demo"), sp.GetRequiredService<IOptions<DemoOptions>>().Value, sp.GetRequiredService<PolicyGate>(), durability));
        }

        services.AddSingleton(_ => DemoWorkflows.Approval());
        services.TryAddSingleton(sp =>
        {
            var registry = new WorkflowRegistry();
            foreach (var definition in sp.GetServices<WorkflowDefinition>())
            {
                registry.Register(definition);
            }

            return registry;
        });
        services.TryAddSingleton<RunSignal>();
        services.TryAddSingleton<RunHandOff>();
        services.TryAddSingleton<Soma.Core.Storage.GroupCommitter>();
        // Run and step metrics come from the run events, after their commit.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRunEventObserver, RunMetrics>());
        services.TryAddSingleton<RunService>();
        services.TryAddSingleton<RunExecutor>();
        return services;
    }

    /// <summary>Adds the worker role: a background service that leases and executes runs.</summary>
    public static IServiceCollection AddSomaWorker(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddHostedService<RunWorker>();
        services.AddHostedService<CheckpointPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<RunGraphExporter>());
        return services;
    }
}
