using Microsoft.Extensions.DependencyInjection;
using Soma.Testing;
using Soma.Tools.Invocation;
using Soma.Tools.Mcp;

namespace Soma.Tools.Tests.Mcp;

/// <summary>
/// The tools wired as the server wires them (<see cref="SqliteToolHost"/>) with MCP servers configured, the background
/// connections started, and the test MCP server (<c>mcp_test_server.py</c>) copied into each stdio server's workspace
/// under a name unique to the test, so the test can look for its processes in <c>/proc</c>.
/// </summary>
internal sealed class McpHost : IAsyncDisposable
{
    private readonly SqliteToolHost _tools;
    private readonly TempDirectory _workspaces;
    private bool _stopped;

    private McpHost(SqliteToolHost tools, TempDirectory workspaces, string script)
    {
        _tools = tools;
        _workspaces = workspaces;
        Script = script;
    }

    public SqliteToolHost Tools => _tools;

    public McpServers Servers => _tools.Services.GetRequiredService<McpServers>();

    /// <summary>The test server's file name: unique to this host, so it marks the host's processes in <c>/proc</c>.</summary>
    public string Script { get; }

    public string Workspace(string server) => Path.Combine(_workspaces.Path, server);

    /// <summary>Starts the host; <paramref name="stdioServers"/> run the test server in the bubblewrap sandbox.</summary>
    public static async Task<McpHost> StartAsync(string rolesYaml, IEnumerable<string> stdioServers, Action<McpOptions>? configure = null)
    {
        var workspaces = new TempDirectory("soma-mcp");
        var script = $"mcp-test-{Guid.NewGuid():N}.py";
        var servers = stdioServers.ToList();
        foreach (var server in servers)
        {
            Directory.CreateDirectory(Path.Combine(workspaces.Path, server));
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Mcp", "mcp_test_server.py"), Path.Combine(workspaces.Path, server, script));
        }

        var tools = await SqliteToolHost.StartAsync(rolesYaml, services => services.Configure<McpOptions>(options =>
        {
            options.WorkspaceRoot = workspaces.Path;
            options.ReconnectDelayMilliseconds = 200;
            foreach (var server in servers)
            {
                options.Servers[server] = new McpServerOptions { Command = "/usr/bin/python3", Arguments = { "-u", $"/workspace/{script}" }, Profile = "bubblewrap", TimeoutSeconds = 30 };
            }

            configure?.Invoke(options);
        }));
        var host = new McpHost(tools, workspaces, script);
        await host.Servers.StartAsync(CancellationToken.None);
        return host;
    }

    /// <summary>Waits (bounded) until every server has connected <paramref name="connections"/> times and is connected now.</summary>
    public async Task WaitConnectedAsync(int connections = 1)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!Servers.Status.All(s => s.State == McpServerState.Connected && s.Connections >= connections))
        {
            Assert.False(deadline.IsCancellationRequested, "The MCP servers did not connect: " + string.Join("; ", Servers.Status));
            await Task.Delay(50);
        }
    }

    public Task<ToolInvocation> InvokeAsync(string tool, string arguments, string role, TimeSpan? timeout = null, RecordingOutput? output = null) =>
        _tools.Invoker.InvokeAsync(new ToolCallRequest(
            new ToolCaller("t-tools", "alice", [role]), $"call_{Guid.NewGuid():N}", tool, arguments,
            output is null ? ToolCalls.Context() : ToolCalls.Context() with { Output = output }, "tools", timeout ?? TimeSpan.FromSeconds(20)));

    /// <summary>The processes whose command line names this host's test server (the sandbox launcher, bubblewrap, python).</summary>
    public IReadOnlyList<int> Processes()
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(Script, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>Stops the connections (as the server's shutdown does).</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await Servers.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();

        // The servers' sandboxes die with their connections; wait (bounded) until the kernel has reaped them.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Processes().Count > 0 && !deadline.IsCancellationRequested)
        {
            await Task.Delay(50);
        }

        await _tools.DisposeAsync();
        _workspaces.Dispose();
    }
}
