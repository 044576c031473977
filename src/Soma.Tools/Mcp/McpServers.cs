using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Tools.Registry;
using Soma.Tools.Sandbox;

namespace Soma.Tools.Mcp;

/// <summary>
/// The configured MCP servers (<c>Soma:Mcp:Servers</c>): each connects in the background at start and reconnects after a
/// failure; together they are a <see cref="IToolSource"/> of <c>mcp.{server}.{tool}</c> tools for the
/// <see cref="ToolRegistry"/>. stdio servers run inside the sandbox profile they name (the default one otherwise).
/// </summary>
public sealed class McpServers : BackgroundService, IToolSource
{
    private readonly McpServerConnection[] _servers;
    private IReadOnlyCollection<ITool> _tools = [];

    /// <summary>Creates a connection per enabled server; none connects before the service starts.</summary>
    public McpServers(IOptions<McpOptions> options, ToolSandboxes sandboxes, IOptions<SandboxOptions> sandbox, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sandboxes);
        ArgumentNullException.ThrowIfNull(sandbox);
        var root = options.Value;
        _servers = [.. root.Servers
            .Where(s => s.Value.Enabled)
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new McpServerConnection(
                s.Key, root, s.Value,
                s.Value.IsStdio ? sandboxes.All.First(p => p.Name == (string.IsNullOrEmpty(s.Value.Profile) ? sandbox.Value.DefaultProfile : s.Value.Profile)) : null,
                loggers, time))];
        foreach (var server in _servers)
        {
            server.Changed += (_, _) =>
            {
                Volatile.Write(ref _tools, _servers.SelectMany(s => s.Tools).ToList().AsReadOnly());
                Changed?.Invoke(this, EventArgs.Empty);
            };
        }
    }

    /// <inheritdoc />
    public IReadOnlyCollection<ITool> Tools => Volatile.Read(ref _tools);

    /// <inheritdoc />
    public event EventHandler? Changed;

    /// <summary>Each enabled server's state.</summary>
    public IReadOnlyList<McpServerStatus> Status => [.. _servers.Select(s => s.Status)];

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_servers.Select(s => Task.Run(() => s.RunAsync(stoppingToken), CancellationToken.None)));
}
