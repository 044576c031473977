using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Soma.Contracts.Events;
using Soma.Core.Health;
using Soma.Core.Storage;
using Soma.Tools.Mcp;
using Soma.Tools.Tests.Invocation;
using Soma.Tools.Tests.Sandbox;

namespace Soma.Tools.Tests.Mcp;

/// <summary>
/// A stdio MCP server (the test server, in Python) run inside the real bubblewrap sandbox, its tools called through the
/// real <c>ToolInvoker</c> under the real policy: granted by a <c>mcp.{server}.*</c> pattern, streamed, timed out,
/// crashed and reconnected, and nothing of it left running once the server stops.
/// </summary>
/// <remarks>In the sandbox collection: the escape corpus asserts that no sandbox process of this test run is left, so
/// the two never run at once.</remarks>
[Collection(SandboxCollection.Name)]
public sealed class StdioMcpServerTests : IAsyncLifetime
{
    private const string Roles = """
        version: 1
        roles:
          user:
            tools: ["mcp.tests.*"]
          other:
            tools: ["mcp.other.*", "mcp.test.*", "mcp.tests"]
        """;

    private McpHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await McpHost.StartAsync(Roles, ["tests"]);
        await _host.WaitConnectedAsync();
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_servers_tools_are_listed_with_their_schema_and_a_granted_call_runs_in_the_sandbox()
    {
        var names = _host.Tools.Registry.All.Select(t => t.Name).Where(n => n.StartsWith("mcp.", StringComparison.Ordinal));
        Assert.Equal(["mcp.tests.crash", "mcp.tests.echo", "mcp.tests.fail", "mcp.tests.hang", "mcp.tests.slow"], names);
        var echo = _host.Tools.Tool("mcp.tests.echo");
        Assert.Equal("Answers with the text it is given.", echo.Description);
        Assert.Equal("text", echo.ParametersSchema.GetProperty("required")[0].GetString());
        Assert.Equal("medium", echo.Risk);
        Assert.True(echo.Sandboxed);

        var call = await _host.InvokeAsync("mcp.tests.echo", """{"text":"hello from the agent"}""", "user");
        Assert.True(call.Ran);
        Assert.Null(call.Result.ErrorCode);
        Assert.Equal("echo: hello from the agent", call.Result.Output);
        Assert.Equal(Soma.Contracts.Events.Sandbox.Bubblewrap, call.Result.Sandbox);

        await using var transaction = await _host.Tools.Store.BeginAsync();
        var sink = new RecordingSink(transaction);
        await _host.Tools.Invoker.RecordAsync(call, sink);
        var succeeded = Assert.Single(sink.Events.OfType<ToolSucceeded>());
        Assert.Equal("mcp.tests.echo", succeeded.Tool);
        Assert.Equal(Soma.Contracts.Events.Sandbox.Bubblewrap, succeeded.Sandbox);
    }

    [Fact]
    public async Task A_role_without_the_servers_pattern_is_denied_and_the_denial_is_audited()
    {
        var denied = await _host.InvokeAsync("mcp.tests.echo", """{"text":"x"}""", "other");
        Assert.False(denied.Ran);
        Assert.Equal("tool.denied", denied.Result.ErrorCode);
        Assert.Equal("Denied: no role of the caller grants tool \"mcp.tests.echo\" (roles: other)", denied.Result.Output);

        await using (var transaction = await _host.Tools.Store.BeginAsync())
        {
            var sink = new RecordingSink(transaction);
            await _host.Tools.Invoker.RecordAsync(denied, sink);
            Assert.Equal("mcp.tests.echo", Assert.Single(sink.Events.OfType<ToolDenied>()).Tool);
            await transaction.CommitAsync();
        }

        var row = Assert.Single((await _host.Tools.Audit.ListAsync("t-tools", new PageRequest(10), "tool.call")).Items);
        Assert.Equal("deny", row.Decision);
        Assert.Equal("tool/mcp.tests.echo", row.Resource);
    }

    [Fact]
    public async Task Progress_notifications_stream_as_output_and_the_answer_follows()
    {
        var output = new RecordingOutput();
        var call = await _host.InvokeAsync("mcp.tests.slow", """{"steps":3}""", "user", output: output);
        Assert.Null(call.Result.ErrorCode);
        Assert.Equal("slow done after 3 steps", call.Result.Output);

        // Progress came before the answer, and never went backwards.
        var steps = output.Chunks.Select(c => int.Parse(c["step ".Length..c.IndexOf(" of", StringComparison.Ordinal)], CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(steps);
        Assert.All(output.Chunks, c => Assert.Matches("^step [1-3] of 3\n$", c));
        Assert.Equal(steps.Order(), steps);
        Assert.Equal(steps.Distinct(), steps);
    }

    [Fact]
    public async Task An_error_the_tool_reports_is_a_tool_error_the_model_reads()
    {
        var call = await _host.InvokeAsync("mcp.tests.fail", "{}", "user");
        Assert.Equal("mcp.tool_error", call.Result.ErrorCode);
        Assert.Equal("the fail tool always fails", call.Result.Output);
    }

    [Fact]
    public async Task A_call_that_never_answers_times_out_the_server_is_told_and_no_process_outlives_the_server()
    {
        var call = await _host.InvokeAsync("mcp.tests.hang", "{}", "user", TimeSpan.FromSeconds(1));
        Assert.Equal("tool.timeout", call.Result.ErrorCode);

        // The cancellation reached the server: it received notifications/cancelled for the hung request.
        await Eventually(() => Directory.EnumerateFiles(_host.Workspace("tests"), "cancelled-*").Any(), "the server never received notifications/cancelled");
        Assert.Equal("echo: still here", (await _host.InvokeAsync("mcp.tests.echo", """{"text":"still here"}""", "user")).Result.Output);

        Assert.NotEmpty(_host.Processes());
        await _host.StopAsync();
        await Eventually(() => _host.Processes().Count == 0, "processes of the MCP server outlived it");
    }

    [Fact]
    public async Task A_crash_mid_call_is_unavailable_and_the_server_comes_back()
    {
        var crashed = await _host.InvokeAsync("mcp.tests.crash", "{}", "user");
        Assert.Equal("mcp.unavailable", crashed.Result.ErrorCode);
        Assert.Contains("The MCP server 'tests' is not available", crashed.Result.Output, StringComparison.Ordinal);

        await _host.WaitConnectedAsync(connections: 2);
        var health = await _host.Tools.Services.GetServices<IHealthReporter>().Single(r => r is McpHealth).CheckHealthAsync();
        Assert.Equal(HealthStatus.Normal, health.Status);
        Assert.Equal("connected (stdio, 5 tools)", health.Details["tests"]);
        var after = await _host.InvokeAsync("mcp.tests.echo", """{"text":"back"}""", "user");
        Assert.Null(after.Result.ErrorCode);
        Assert.Equal("echo: back", after.Result.Output);
    }

    private static async Task Eventually(Func<bool> condition, string because)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.False(deadline.IsCancellationRequested, because);
            await Task.Delay(50);
        }
    }
}
