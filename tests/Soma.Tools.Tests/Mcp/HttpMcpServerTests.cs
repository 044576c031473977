using System.ComponentModel;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelContextProtocol.Server;

namespace Soma.Tools.Tests.Mcp;

/// <summary>
/// An MCP server reached over HTTP: a third-party peer, stood in for by an MCP server on loopback (the SDK's ASP.NET
/// Core server) that wants a bearer token. Its tools are called through the invoker under the policy, unsandboxed.
/// </summary>
public sealed class HttpMcpServerTests : IAsyncLifetime
{
    private const string Token = "Bearer s3cr3t-mcp-token";
    private WebApplication _server = null!;
    private int _port;
    private McpHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        (_server, _port) = await StartServerAsync(0);
        _host = await McpHost.StartAsync("version: 1\nroles:\n  user:\n    tools: [\"mcp.remote.*\"]\n", [], options =>
        {
            var remote = new Soma.Tools.Mcp.McpServerOptions { Url = $"http://127.0.0.1:{_port}/mcp", TimeoutSeconds = 10 };
            remote.Headers["Authorization"] = Token;
            options.Servers["remote"] = remote;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task The_http_servers_tools_are_called_under_policy_with_its_headers()
    {
        await _host.WaitConnectedAsync();
        var add = _host.Tools.Tool("mcp.remote.add");
        Assert.Equal("Adds two integers.", add.Description);
        Assert.False(add.Sandboxed);
        Assert.Equal("integer", add.ParametersSchema.GetProperty("properties").GetProperty("a").GetProperty("type").GetString());

        var call = await _host.InvokeAsync("mcp.remote.add", """{"a":2,"b":40}""", "user");
        Assert.Null(call.Result.ErrorCode);
        Assert.Equal("42", call.Result.Output);
        Assert.Equal(Soma.Contracts.Events.Sandbox.None, call.Result.Sandbox);
    }

    [Fact]
    public async Task A_server_that_went_away_is_unavailable_and_comes_back_when_it_returns()
    {
        await _host.WaitConnectedAsync();
        await _server.StopAsync();
        var down = await _host.InvokeAsync("mcp.remote.add", """{"a":1,"b":1}""", "user");
        Assert.Equal("mcp.unavailable", down.Result.ErrorCode);
        Assert.DoesNotContain("s3cr3t", down.Result.Output, StringComparison.Ordinal);

        await _server.DisposeAsync();
        (_server, _) = await StartServerAsync(_port);
        await _host.WaitConnectedAsync(connections: 2);
        var back = await _host.InvokeAsync("mcp.remote.add", """{"a":1,"b":1}""", "user");
        Assert.Null(back.Result.ErrorCode);
        Assert.Equal("2", back.Result.Output);
    }

    private static async Task<(WebApplication App, int Port)> StartServerAsync(int port)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Services.AddLogging();
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.AddMcpServer().WithHttpTransport().WithTools<RemoteTools>();
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization != Token)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            await next(context);
        });
        app.UseRouting();
        app.MapMcp("/mcp");
        await app.StartAsync();
        return (app, new Uri(app.Urls.First()).Port);
    }

    [McpServerToolType]
    internal sealed class RemoteTools
    {
        [McpServerTool(Name = "add")]
        [Description("Adds two integers.")]
        public static int Add(int a, int b) => a + b;
    }
}
