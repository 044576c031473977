using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;
using Soma.Tools.Sandbox;
using Soma.Tools.Tests.Invocation;
using Soma.Tools.Workspaces;

namespace Soma.Tools.Tests.Sandbox;

/// <summary>
/// <c>shell.run</c> and <c>code.python</c> through the real invoker, the embedded policy over the shipped roles.yaml and
/// the real sandbox (bubblewrap; <c>code.python</c> in gVisor where the options say so), on a SQLite data directory:
/// output streamed while the program runs, the exit code, the session's workspace as the working folder, and what the
/// sandbox stopped written to the audit log.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class SandboxedToolsTests : IAsyncLifetime
{
    private const string Tenant = "t-shell";
    private SqliteToolHost _host = null!;
    private Guid _session;

    public async ValueTask InitializeAsync()
    {
        _host = await SqliteToolHost.StartAsync(SqliteToolHost.ShippedRoles, extraSettings: new Dictionary<string, string?>
        {
            ["Soma:Sandbox:TimeoutSeconds"] = "20",
            ["Soma:Sandbox:MaxOutputBytes"] = "4096",
            ["Soma:Sandbox:Tools:code.python"] = "gvisor",
        });
        _session = Guid.CreateVersion7();
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Shell_run_streams_its_lines_runs_in_the_workspace_and_returns_the_exit_code()
    {
        var output = new CollectingOutput();
        var call = await CallAsync("shell.run", new { command = "pwd; for i in 1 2 3; do echo line$i; done; read x; echo got:$x; echo oops >&2; echo kept > note.txt", stdin = "hello\n" }, output: output);

        Assert.True(call.Ran);
        Assert.Null(call.Result.ErrorCode);
        Assert.Equal(Soma.Contracts.Events.Sandbox.Bubblewrap, call.Result.Sandbox);
        Assert.Equal("/workspace\nline1\nline2\nline3\ngot:hello\n[stderr]\noops\n[exit code 0]", call.Result.Output);
        // What was streamed is the program's own output (stdout and stderr, as they came), without the closing line.
        var streamed = string.Concat(output.Chunks);
        Assert.Contains("line1\nline2\nline3\ngot:hello\n", streamed, StringComparison.Ordinal);
        Assert.Contains("oops\n", streamed, StringComparison.Ordinal);
        Assert.DoesNotContain("[exit code", streamed, StringComparison.Ordinal);

        // The working folder is the session's workspace on the host.
        var workspace = _host.Services.GetRequiredService<ToolWorkspaces>().PathFor(Tenant, _session);
        Assert.Equal("kept\n", await File.ReadAllTextAsync(Path.Combine(workspace, "note.txt")));
    }

    [Fact]
    public async Task A_failing_command_is_a_tool_error_with_its_output_and_exit_code()
    {
        var call = await CallAsync("shell.run", new { command = "echo half; exit 3" });
        Assert.Equal("tool.exit_status", call.Result.ErrorCode);
        Assert.Equal("half\n[exit code 3]", call.Result.Output);
        Assert.Empty(await SignalRowsAsync(call));
    }

    [Fact]
    public async Task A_command_over_its_time_limit_keeps_its_output_and_is_audited()
    {
        var call = await CallAsync("shell.run", new { command = "echo started; exec sleep 60", timeout_seconds = 1 });
        Assert.Equal("tool.timeout", call.Result.ErrorCode);
        Assert.True(call.Result.Truncated);
        Assert.Equal("started\n[stopped: over its 1 s limit]", call.Result.Output);

        var row = Assert.Single(await SignalRowsAsync(call));
        Assert.Equal("tool.timeout", row.Reason);
        Assert.Equal("tool/shell.run", row.Resource);
        Assert.Equal("deny", row.Decision);
        Assert.Equal("user:alice", row.Actor);
        using var details = JsonDocument.Parse(row.Details!);
        Assert.Equal(call.Request.CallId, details.RootElement.GetProperty("tool_call_id").GetString());
        Assert.Equal("bubblewrap", details.RootElement.GetProperty("profile").GetString());
    }

    [Fact]
    public async Task A_forbidden_system_call_kills_the_program_and_is_audited()
    {
        var call = await CallAsync("shell.run", new { command = "python3 -c 'import ctypes; ctypes.CDLL(None).unshare(0x10000000)'; echo after" });
        // The shell goes on after its child was killed: the kill shows in the shell's output, not as the call's end.
        Assert.Contains("after", call.Result.Output, StringComparison.Ordinal);

        var killed = await CallAsync("shell.run", new { command = "exec python3 -c 'import ctypes; ctypes.CDLL(None).unshare(0x10000000)'" });
        Assert.Equal("sandbox.seccomp_denied", killed.Result.ErrorCode);
        Assert.EndsWith("[killed: a forbidden system call (seccomp)]", killed.Result.Output, StringComparison.Ordinal);
        Assert.Equal("sandbox.seccomp_denied", Assert.Single(await SignalRowsAsync(killed)).Reason);
    }

    [Fact]
    public async Task Output_past_the_cap_is_cut_marked_and_audited()
    {
        var call = await CallAsync("shell.run", new { command = "yes abcdefgh" });
        Assert.True(call.Result.Truncated);
        Assert.EndsWith("[output cut at 4096 bytes]", call.Result.Output, StringComparison.Ordinal);
        Assert.Equal("sandbox.output_truncated", Assert.Single(await SignalRowsAsync(call)).Reason);
    }

    [Fact]
    public async Task Code_python_runs_in_the_profile_its_options_choose()
    {
        var call = await CallAsync("code.python", new { code = "import os\nprint(sum(range(10)), os.getcwd())" });
        Assert.True(call.Result.ErrorCode is null, $"{call.Result.ErrorCode}: {call.Result.Output}");
        Assert.Equal(Soma.Contracts.Events.Sandbox.Gvisor, call.Result.Sandbox);
        Assert.Equal("45 /workspace\n[exit code 0]", call.Result.Output);
        Assert.Equal("gvisor", _host.Services.GetRequiredService<ToolSandboxes>().For("code.python").Name);
    }

    [Fact]
    public async Task A_user_without_the_grant_is_denied_and_nothing_runs()
    {
        var call = await CallAsync("shell.run", new { command = "echo ran > ran.txt" }, role: "user");
        Assert.False(call.Ran);
        Assert.StartsWith("Denied: ", call.Result.Output, StringComparison.Ordinal);
        Assert.Contains("shell.run", call.Result.Output, StringComparison.Ordinal);
        var workspace = _host.Services.GetRequiredService<ToolWorkspaces>().PathFor(Tenant, _session);
        Assert.False(File.Exists(Path.Combine(workspace, "ran.txt")));
    }

    [Fact]
    public async Task A_roles_egress_rule_reaches_the_sandbox_and_its_refusals_are_audited()
    {
        var (server, port) = await Soma.Testing.LoopbackListener.StartAsync(context => context.Response.WriteAsync("hello from the host"));
        await using (server)
        {
            // The policy's obligation, from roles.yaml, is what opens the proxy: one loopback port, private allowed.
            var roles = $$"""
                version: 1
                default_roles: [user]
                roles:
                  user: {tools: ["code.python"]}
                tools:
                  code.python:
                    egress: {hosts: ["127.0.0.1:{{port}}"], allow_private: true}
                """;
            await using var host = await SqliteToolHost.StartAsync(roles);
            var code = $$"""
                import urllib.request
                print(urllib.request.urlopen("http://127.0.0.1:{{port}}/", timeout=10).read().decode())
                try:
                    urllib.request.urlopen("http://192.0.2.1/", timeout=10)
                except Exception as e:
                    print("refused:", e)
                """;
            var context = ToolCalls.Context(Tenant, _session);
            var call = await host.Invoker.InvokeAsync(new ToolCallRequest(
                new ToolCaller(Tenant, "alice", []), $"call_{Guid.NewGuid():N}", "code.python", JsonSerializer.Serialize(new { code }),
                context, "tools", TimeSpan.FromSeconds(60)));

            Assert.True(call.Ran);
            Assert.StartsWith("hello from the host\nrefused: HTTP Error 403", call.Result.Output, StringComparison.Ordinal);
            Assert.Contains("[egress refused: 192.0.2.1:80 (", call.Result.Output, StringComparison.Ordinal);

            await using (var transaction = await host.Store.BeginAsync())
            {
                await host.Invoker.RecordAsync(call, new RecordingSink(transaction));
                await transaction.CommitAsync();
            }

            var row = Assert.Single((await host.Audit.ListAsync(Tenant, new PageRequest(10), "sandbox.signal")).Items);
            Assert.Equal("sandbox.egress_refused", row.Reason);
            using var details = JsonDocument.Parse(row.Details!);
            Assert.StartsWith("192.0.2.1:80 (", details.RootElement.GetProperty("refusals")[0].GetString(), StringComparison.Ordinal);
            Assert.Equal(1, details.RootElement.GetProperty("refusals_total").GetInt32());
        }
    }

    private async Task<ToolInvocation> CallAsync(string tool, object arguments, string role = "admin", CollectingOutput? output = null)
    {
        var context = ToolCalls.Context(Tenant, _session) with { Output = output ?? IToolOutput.Discard };
        return await _host.Invoker.InvokeAsync(new ToolCallRequest(
            new ToolCaller(Tenant, "alice", [role]), $"call_{Guid.NewGuid():N}", tool, JsonSerializer.Serialize(arguments),
            context, "tools", TimeSpan.FromSeconds(60)));
    }

    // Records the call as a step would, then reads back the sandbox's audit rows of that call.
    private async Task<List<AuditRecord>> SignalRowsAsync(ToolInvocation call)
    {
        await using (var transaction = await _host.Store.BeginAsync())
        {
            await _host.Invoker.RecordAsync(call, new RecordingSink(transaction));
            await transaction.CommitAsync();
        }

        var rows = await _host.Audit.ListAsync(Tenant, new PageRequest(100), "sandbox.signal");
        return [.. rows.Items.Where(r => r.Details!.Contains(call.Request.CallId, StringComparison.Ordinal))];
    }

    private sealed class CollectingOutput : IToolOutput
    {
        public List<string> Chunks { get; } = [];

        public ValueTask WriteAsync(string chunk, CancellationToken cancellationToken)
        {
            lock (Chunks)
            {
                Chunks.Add(chunk);
            }

            return ValueTask.CompletedTask;
        }
    }
}
