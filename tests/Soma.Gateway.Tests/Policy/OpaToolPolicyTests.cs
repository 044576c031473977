using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Gateway.Tests.Conversations;
using Soma.Policy.Bundles;
using Soma.Policy.Rego.Values;
using Soma.Server.Dev;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Policy;

/// <summary>
/// The same tool turn with <c>Soma:Policy:Provider=opa</c> against a loopback OPA stand-in that evaluates the shipped
/// policy: the same allow and denial, audited as engine <c>opa</c>; a slow OPA denies every call <c>policy.timeout</c>
/// and the turn still ends with an answer.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class OpaToolPolicyTests : IAsyncLifetime
{
    private DevModelServer _model = null!;
    private OpaStandIn _opa = null!;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        using var folder = PolicyFolder.Create("version: 1\nroles:\n  user: {tools: [\"time.now\"]}\n");
        var bundle = PolicyBundleLoader.Load([folder.Path], DateTimeOffset.UtcNow).Bundle ?? throw new InvalidOperationException("The shipped policy does not load.");
        _opa = await OpaStandIn.StartAsync((path, input) =>
        {
            var value = bundle.Policy.Evaluate("data." + path.Replace('/', '.'), input is null ? null : Value.ParseJson(input.ToJsonString()));
            return value is null ? null : JsonNode.Parse(value.ToJson());
        });
        _model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var configuration = Model("dev", _model, "soma-dev");
        configuration["Soma:Policy:Provider"] = "opa";
        configuration["Soma:Policy:Opa:Url"] = _opa.BaseAddress.ToString();
        // Wide enough that a loaded machine (a full test run) never turns the first, prompt turn into timeouts.
        configuration["Soma:Policy:Opa:TimeoutMilliseconds"] = "2000";
        _server = await RunningServer.StartAsync(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
        await _opa.DisposeAsync();
    }

    [Fact]
    public async Task Opa_decides_the_same_calls_and_a_slow_opa_denies_them_with_policy_timeout()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = _server.For(tenant, "carol", "user");
        var frames = await TurnAsync(client, "What time is it? And calculate 2+3");
        var denied = Assert.Single(frames, f => f.Event == "tool.denied").EventData;
        Assert.Equal("math.evaluate", denied.GetProperty("tool").GetString());
        Assert.Equal("no role of the caller grants tool \"math.evaluate\" (roles: user)", denied.GetProperty("reason").GetString());
        Assert.Equal("time.now", Assert.Single(frames, f => f.Event == "tool.output").EventData.GetProperty("tool").GetString());
        Assert.Contains(_opa.Requests, r => r.Path == "/v1/data/soma/tools/decision");

        var audit = await _server.Services.GetRequiredService<IAuditLog>().ListAsync(tenant, new PageRequest(10), "tool.call");
        Assert.Equal(2, audit.Items.Count);
        Assert.All(audit.Items, r => Assert.Equal("opa", JsonDocument.Parse(r.Details!).RootElement.GetProperty("engine").GetString()));

        _opa.Delay = TimeSpan.FromSeconds(6);
        var slow = await TurnAsync(client, "What time is it? And calculate 2+3");
        var timedOut = slow.Where(f => f.Event == "tool.denied").Select(f => f.EventData).ToList();
        Assert.Equal(2, timedOut.Count);
        Assert.All(timedOut, d => Assert.Equal("policy.timeout", d.GetProperty("reason").GetString()));
        Assert.Single(slow, f => f.Event == "conversation.assistant_final");
    }

    private static async Task<IReadOnlyList<SseFrame>> TurnAsync(HttpClient client, string text)
    {
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        await SendAsync(client, session, text);
        var end = await events.ReadUntilAsync(f => f.Event is "run.succeeded" or "run.failed");
        Assert.Equal("run.succeeded", end.Event);
        return [.. events.Frames];
    }
}
