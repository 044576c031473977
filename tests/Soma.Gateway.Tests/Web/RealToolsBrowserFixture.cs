using Microsoft.Extensions.DependencyInjection;
using Soma.Testing;
using Soma.Tools.Mcp;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The chat browser fixture with the shipped policy (<c>conf/roles.yaml</c>: <c>shell.run</c>, <c>code.python</c> and
/// MCP tools for admin only), the real sandboxed tools in bubblewrap, and the Python test MCP server
/// (<c>mcp_test_server.py</c>) configured as the stdio server <c>tests</c>, connected before the first test runs.
/// </summary>
public sealed class RealToolsBrowserFixture : ChatBrowserFixture
{
    /// <summary>The MCP server's name: its tools are <c>mcp.tests.{tool}</c>.</summary>
    public const string McpServer = "tests";

    private readonly TempDirectory _mcpWorkspaces = new("soma-gw-mcp");

    protected override void Configure(Dictionary<string, string?> configuration)
    {
        // The server's program must be visible inside its sandbox: its workspace is bound at /workspace.
        Directory.CreateDirectory(Path.Combine(_mcpWorkspaces.Path, McpServer));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Web", "mcp_test_server.py"), Path.Combine(_mcpWorkspaces.Path, McpServer, "mcp_test_server.py"));
        configuration["Soma:Mcp:WorkspaceRoot"] = _mcpWorkspaces.Path;
        configuration[$"Soma:Mcp:Servers:{McpServer}:Command"] = "/usr/bin/python3";
        configuration[$"Soma:Mcp:Servers:{McpServer}:Arguments:0"] = "-u";
        configuration[$"Soma:Mcp:Servers:{McpServer}:Arguments:1"] = "/workspace/mcp_test_server.py";
        configuration[$"Soma:Mcp:Servers:{McpServer}:Profile"] = "bubblewrap";
        configuration[$"Soma:Mcp:Servers:{McpServer}:TimeoutSeconds"] = "30";
    }

    protected override async Task<RunningServer> StartServerAsync()
    {
        var server = await base.StartServerAsync();

        // The server connects in the background; a chat sent before would not be offered the MCP tools.
        var servers = server.Services.GetRequiredService<McpServers>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!servers.Status.All(s => s.State == McpServerState.Connected))
        {
            if (deadline.IsCancellationRequested)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException("The test MCP server did not connect: " + string.Join("; ", servers.Status));
            }

            await Task.Delay(50);
        }

        return server;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _mcpWorkspaces.Dispose();
    }
}
