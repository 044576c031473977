using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Tools.BuiltIn;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the tool registry, the one tool invoker and the built-in tools.</summary>
public static class ToolsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ToolRegistry"/>, <see cref="ToolInvoker"/> and the built-in tools. The invoker needs an
    /// <c>IPolicyEngine</c> (<c>AddSomaPolicy</c>) and the store's audit log.
    /// </summary>
    public static IServiceCollection AddSomaTools(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<ToolOptions>(ToolOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ToolOptions>, ToolOptionsValidator>());
        // Tools written with [Tool] (time.now); the rest are hand-written ITools.
        // Written out in full: the type is generated at build time, and tools that do not run generators (dotnet format)
        // would take a using of its namespace for an unused one.
        Soma.Tools.GeneratedTools.AddGeneratedTools(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, MathEvaluateTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, SessionSearchTool>());
        services.TryAddSingleton<ToolRegistry>();
        services.TryAddSingleton<ToolInvoker>();
        return services;
    }
}
