using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Soma.Core.Configuration;
using Soma.Core.Health;
using Soma.Core.Sandbox;
using Soma.Tools.Analytics;
using Soma.Tools.BuiltIn;
using Soma.Tools.Files;
using Soma.Tools.Http;
using Soma.Tools.Invocation;
using Soma.Tools.Mcp;
using Soma.Tools.Registry;
using Soma.Tools.Sandbox;
using Soma.Tools.Sandbox.Egress;
using Soma.Tools.Workspaces;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the tool registry, the one tool invoker and the built-in tools.</summary>
public static class ToolsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ToolRegistry"/>, <see cref="ToolInvoker"/>, the built-in tools, the per-session
    /// <see cref="ToolWorkspaces"/> with <c>files.read</c>, <c>files.write</c>, <c>files.list</c> and <c>http.fetch</c>,
    /// the sandbox profiles with <c>shell.run</c> and <c>code.python</c>, and the tool analytics (a <c>tool_calls</c> row
    /// per call and the <c>soma.tool.*</c> metrics). The invoker needs an <c>IPolicyEngine</c> (<c>AddSomaPolicy</c>), the
    /// store's audit log and tool call log, an id generator and metrics (<c>AddMetrics</c>).
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

        // The session's workspace and the in-process tools on it and on the network (docs/tools.md).
        services.BindAndValidate<ToolWorkspaceOptions>(ToolWorkspaceOptions.SectionName);
        services.BindAndValidate<HttpFetchOptions>(HttpFetchOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ToolWorkspaces>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, FilesReadTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, FilesWriteTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, FilesListTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, HttpFetchTool>());
        services.AddSomaSandbox();
        services.AddSomaMcp();
        services.TryAddSingleton<ToolRegistry>();
        services.TryAddSingleton<ToolInvoker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IToolCallObserver, ToolCallAnalytics>());
        return services;
    }

    /// <summary>
    /// Adds the MCP servers of <c>Soma:Mcp:Servers</c> (validated at start): they connect in the background once the host
    /// starts, and their tools join the <see cref="ToolRegistry"/> as <c>mcp.{server}.{tool}</c>.
    /// </summary>
    public static IServiceCollection AddSomaMcp(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<McpOptions>(McpOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<McpOptions>, McpOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<McpServers>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IToolSource, McpServers>(sp => sp.GetRequiredService<McpServers>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, McpServers>(sp => sp.GetRequiredService<McpServers>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, McpHealth>());
        return services;
    }

    /// <summary>
    /// Adds the sandbox profiles (<c>bubblewrap</c>, <c>gvisor</c>) from <c>Soma:Sandbox</c> and the tools that run in
    /// them (<c>shell.run</c>, <c>code.python</c>). A profile that cannot run on this machine refuses its calls with the
    /// reason (and the <c>sandbox</c> health component says it).
    /// </summary>
    public static IServiceCollection AddSomaSandbox(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.BindAndValidate<SandboxOptions>(SandboxOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>());
        services.TryAddSingleton<SandboxHost>();
        services.TryAddSingleton<SandboxEgress>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IToolSandbox, BubblewrapSandbox>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IToolSandbox, GvisorSandbox>());
        services.TryAddSingleton<ToolSandboxes>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, ShellRunTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, CodePythonTool>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthReporter, SandboxHealth>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IToolCallObserver, SandboxSignalAudit>());
        return services;
    }
}
