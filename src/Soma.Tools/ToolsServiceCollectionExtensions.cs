using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Tools.Analytics;
using Soma.Tools.BuiltIn;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the tool registry, the one tool invoker and the built-in tools.</summary>
public static class ToolsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ToolRegistry"/>, <see cref="ToolInvoker"/>, the built-in tools and the tool analytics (a
    /// <c>tool_calls</c> row per call and the <c>soma.tool.*</c> metrics). The invoker needs an <c>IPolicyEngine</c>
    /// (<c>AddSomaPolicy</c>), the store's audit log and tool call log, an id generator and metrics (<c>AddMetrics</c>).
    /// </summary>
    public static IServiceCollection AddSomaTools(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<ToolOptions>(ToolOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ToolOptions>, ToolOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, TimeNowTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, MathEvaluateTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, SessionSearchTool>());
        services.TryAddSingleton<ToolRegistry>();
        services.TryAddSingleton<ToolInvoker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IToolCallObserver, ToolCallAnalytics>());
        return services;
    }
}
