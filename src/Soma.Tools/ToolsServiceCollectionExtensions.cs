using Microsoft.Extensions.DependencyInjection.Extensions;
using Soma.Core.Configuration;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the tool registry, the allow-list authorizer and the built-in tools.</summary>
public static class ToolsServiceCollectionExtensions
{
    /// <summary>Adds <see cref="ToolRegistry"/>, <see cref="ToolAuthorizer"/> and the built-in tools.</summary>
    public static IServiceCollection AddSomaTools(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<ToolOptions>(ToolOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, TimeNowTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, MathEvaluateTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, SessionSearchTool>());
        services.TryAddSingleton<ToolRegistry>();
        services.TryAddSingleton<ToolAuthorizer>();
        return services;
    }
}
