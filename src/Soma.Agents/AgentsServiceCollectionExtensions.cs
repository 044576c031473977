using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Agents.Memory;
using Soma.Agents.Models;
using Soma.Agents.Turns;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Limits;
using Soma.Core.Streaming;
using Soma.Orchestration.Runs;
using Soma.Orchestration.Workflows;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the agent turn: models, the <c>chat.turn</c> workflow and its session mirror.</summary>
public static class AgentsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the model router, the <c>chat.turn</c> workflow, tools (the memory tools among them) and the session event
    /// mirror. The memory component (<c>AddSomaMemory</c>) must be added too.
    /// </summary>
    public static IServiceCollection AddSomaAgents(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSomaTools();
        services.BindAndValidate<ModelOptions>(ModelOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelOptions>, ModelOptionsValidator>());
        services.BindAndValidate<ChatTurnOptions>(ChatTurnOptions.SectionName);
        services.TryAddSingleton<ISessionStream, InProcessSessionStream>();
        services.TryAddSingleton<ActiveTurnCounter>();
        services.TryAddSingleton<ModelRouter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, ModelRouter>(sp => sp.GetRequiredService<ModelRouter>()));
        services.TryAddSingleton<TurnMemory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Soma.Tools.Registry.ITool, MemoryRecallTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Soma.Tools.Registry.ITool, MemorySaveTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Soma.Tools.Invocation.IToolCallObserver, ToolMemoryObserver>());
        services.TryAddSingleton<TurnMetrics>();
        services.TryAddSingleton<ChatTurnWorkflow>();
        services.AddSingleton<WorkflowDefinition>(sp => sp.GetRequiredService<ChatTurnWorkflow>().Definition);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRunEventObserver, SessionEventMirror>());
        return services;
    }
}
