using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Server.Dev;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>Tools are denied unless Soma:Tools:Allow lists them; a denial is an event and an audit record, and the turn goes on.</summary>
[SupportedOSPlatform("linux")]
public sealed class ToolDenialTests : IAsyncLifetime
{
    private DevModelServer _model = null!;
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var configuration = Model("dev", _model, "soma-dev");

        // appsettings.json allows three tools; configuration lists merge by index, so every index is overwritten.
        configuration["Soma:Tools:Allow:0"] = "time.now";
        configuration["Soma:Tools:Allow:1"] = "time.now";
        configuration["Soma:Tools:Allow:2"] = "session.search";
        _server = await RunningServer.StartAsync(configuration);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Fact]
    public async Task A_tool_missing_from_the_allow_list_is_denied_with_an_event_and_a_deny_audit_record()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = _server.For(tenant);
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        var sent = await SendAsync(client, session, "What time is it? And calculate 2+3");
        var end = await events.ReadUntilAsync(f => f.Event is "run.succeeded" or "run.failed");
        Assert.Equal("run.succeeded", end.Event);

        var tools = events.Frames.Where(f => f.Event?.StartsWith("tool.", StringComparison.Ordinal) == true).ToList();
        var denied = Assert.Single(tools, f => f.Event == "tool.denied").EventData;
        Assert.Equal("math.evaluate", denied.GetProperty("tool").GetString());
        Assert.Contains("Soma:Tools:Allow", denied.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(tools, f => f.Event is "tool.allowed" or "tool.output" or "tool.succeeded" && f.EventData.GetProperty("tool").GetString() == "math.evaluate");
        Assert.Equal("time.now", Assert.Single(tools, f => f.Event == "tool.succeeded").EventData.GetProperty("tool").GetString());

        var audit = await _server.Services.GetRequiredService<IAuditLog>().ListAsync(tenant, new PageRequest(50), "tool.call");
        Assert.Equal(2, audit.Items.Count);
        var deny = Assert.Single(audit.Items, r => r.Resource == "math.evaluate");
        Assert.Equal("deny", deny.Decision);
        Assert.Equal("allow-list", deny.PolicyRevision);
        Assert.Contains("Soma:Tools:Allow", deny.Reason, StringComparison.Ordinal);
        Assert.Contains(denied.GetProperty("tool_call_id").GetString()!, deny.Details, StringComparison.Ordinal);
        Assert.Equal($"run:{sent.RunId}", deny.Actor);
        Assert.Equal("allow", Assert.Single(audit.Items, r => r.Resource == "time.now").Decision);

        // The model was told, and answered.
        var final = Assert.Single(events.Frames, f => f.Event == "conversation.assistant_final").EventData;
        Assert.Contains("Denied", final.GetProperty("content").GetString(), StringComparison.Ordinal);
    }
}
