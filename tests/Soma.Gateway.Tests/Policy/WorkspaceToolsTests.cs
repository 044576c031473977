using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Soma.Testing;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;
using Soma.Tools.Workspaces;

namespace Soma.Gateway.Tests.Policy;

/// <summary>
/// The files and HTTP tools as the server wires them: workspaces under the data directory (<c>--data</c>), the shipped
/// roles.yaml granting files.* to every user and http.fetch to no one.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceToolsTests : IAsyncLifetime
{
    private PolicyFolder _policy = null!;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _policy = PolicyFolder.Create();
        _server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Soma:Policy:Directory"] = _policy.Path });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _policy.Dispose();
    }

    [Fact]
    public async Task A_users_file_lands_in_the_sessions_workspace_under_the_data_directory_and_http_fetch_reaches_nothing()
    {
        var tenant = ServerFixture.NewTenant();
        var session = Guid.CreateVersion7();
        var invoker = _server.Services.GetRequiredService<ToolInvoker>();
        var context = new ToolContext(tenant, session, Guid.CreateVersion7(), DateTimeOffset.UtcNow);

        var wrote = await invoker.InvokeAsync(new ToolCallRequest(new ToolCaller(tenant, "alice", []), "call_1", "files.write", """{"path":"a/b.txt","content":"hi"}""", context, "tools", TimeSpan.FromSeconds(30)));
        Assert.Equal("Wrote 2 bytes to a/b.txt.", wrote.Result.Output);
        var expected = Path.Combine(_server.DataDir, "workspaces", tenant, session.ToString());
        Assert.Equal(expected, _server.Services.GetRequiredService<ToolWorkspaces>().PathFor(tenant, session));
        Assert.Equal("hi", await File.ReadAllTextAsync(Path.Combine(expected, "a", "b.txt")));

        var fetch = await invoker.InvokeAsync(new ToolCallRequest(new ToolCaller(tenant, "root", ["admin"]), "call_2", "http.fetch", """{"url":"https://example.com/"}""", context, "tools", TimeSpan.FromSeconds(30)));
        Assert.Equal("tool.egress_refused", fetch.Result.ErrorCode);
        var denied = await invoker.InvokeAsync(new ToolCallRequest(new ToolCaller(tenant, "alice", []), "call_3", "http.fetch", """{"url":"https://example.com/"}""", context, "tools", TimeSpan.FromSeconds(30)));
        Assert.Equal("tool.denied", denied.Result.ErrorCode);
    }
}
