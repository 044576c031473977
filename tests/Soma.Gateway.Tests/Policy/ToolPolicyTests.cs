using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Storage;
using Soma.Gateway.Tests.Conversations;
using Soma.Server.Dev;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Policy;

/// <summary>
/// Policy before every tool, through a real server and the loopback model, with the embedded engine over a policy
/// folder: a role that grants <c>time.now</c> but not <c>math.evaluate</c> gets one output and one denial with its
/// reason, both decisions audited; a roles.yaml edit takes effect without a restart; a broken module keeps the version
/// that decides and degrades health.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ToolPolicyTests : IAsyncLifetime
{
    private const string Roles = """
        version: 1
        roles:
          user:
            tools: ["time.now"]
        """;

    private DevModelServer _model = null!;
    private PolicyFolder _policy = null!;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await DevModelServer.StartAsync(new DevModelServerOptions());
        _policy = PolicyFolder.Create(Roles);
        var configuration = Model("dev", _model, "soma-dev");
        configuration["Soma:Policy:Directory"] = _policy.Path;
        configuration["Soma:Policy:PollMilliseconds"] = "100";
        _server = await RunningServer.StartAsync(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
        _policy.Dispose();
    }

    [Fact]
    public async Task A_user_role_gets_the_tool_it_is_granted_and_a_denial_with_its_reason_for_the_other_both_audited()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = _server.For(tenant, "alice", "user");
        var version = await PolicyVersionAsync(client);
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        await SendAsync(client, session, "What time is it? And calculate 2+3");
        var end = await events.ReadUntilAsync(f => f.Event is "run.succeeded" or "run.failed");
        Assert.Equal("run.succeeded", end.Event);

        var tools = events.Frames.Where(f => f.Event?.StartsWith("tool.", StringComparison.Ordinal) == true).ToList();
        var denied = Assert.Single(tools, f => f.Event == "tool.denied").EventData;
        Assert.Equal("math.evaluate", denied.GetProperty("tool").GetString());
        Assert.Equal("no role of the caller grants tool \"math.evaluate\" (roles: user)", denied.GetProperty("reason").GetString());
        Assert.Equal(version, denied.GetProperty("policy_revision").GetString());
        var output = Assert.Single(tools, f => f.Event == "tool.output").EventData;
        Assert.Equal("time.now", output.GetProperty("tool").GetString());
        Assert.DoesNotContain(tools, f => f.Event is "tool.allowed" or "tool.output" or "tool.succeeded" && f.EventData.GetProperty("tool").GetString() == "math.evaluate");

        // Two decisions, two audit rows, two agent.audit.v1 events.
        var audit = await _server.Services.GetRequiredService<IAuditLog>().ListAsync(tenant, new PageRequest(50), "tool.call");
        Assert.Equal(2, audit.Items.Count);
        var deny = Assert.Single(audit.Items, r => r.Resource == "tool/math.evaluate");
        Assert.Equal("deny", deny.Decision);
        Assert.Equal(version, deny.PolicyRevision);
        Assert.Equal("user:alice", deny.Actor);
        using (var details = JsonDocument.Parse(deny.Details!))
        {
            Assert.Equal("rego", details.RootElement.GetProperty("engine").GetString());
            Assert.Equal(["user"], details.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
            Assert.Equal(64, details.RootElement.GetProperty("arguments_sha256").GetString()!.Length);
            Assert.Equal(denied.GetProperty("tool_call_id").GetString(), details.RootElement.GetProperty("tool_call_id").GetString());
        }

        Assert.Equal("allow", Assert.Single(audit.Items, r => r.Resource == "tool/time.now").Decision);
        var decisions = await AuditEventsAsync(tenant);
        Assert.Equal(["allow", "deny"], decisions.Select(d => d.GetProperty("decision").GetString()).Order(StringComparer.Ordinal));
        Assert.All(decisions, d => Assert.Equal(version, d.GetProperty("policy_revision").GetString()));

        // The model was told, and answered.
        var final = Assert.Single(events.Frames, f => f.Event == "conversation.assistant_final").EventData;
        Assert.Contains("Denied", final.GetProperty("content").GetString(), StringComparison.Ordinal);

        // Operators see the decisions in the metrics.
        using var admin = _server.For(tenant, "ops", "admin");
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains("soma_policy_decisions_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("decision=\"deny\"", metrics, StringComparison.Ordinal);
        Assert.Contains("cached=\"false\"", metrics, StringComparison.Ordinal);
        Assert.Contains("soma_policy_decision_duration_milliseconds", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_roles_edit_takes_effect_in_the_running_server_and_a_broken_module_keeps_the_old_version()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = _server.For(tenant, "bob", "user");
        var before = await PolicyVersionAsync(client);

        _policy.Write("roles.yaml", Roles.Replace("[\"time.now\"]", "[\"time.now\", \"math.evaluate\"]", StringComparison.Ordinal));
        var after = await WaitForVersionChangeAsync(client, before, TimeSpan.FromSeconds(2));
        Assert.NotEqual(before, after);
        var session = await CreateSessionAsync(client);
        using (var events = await SseConnection.OpenAsync(client, session))
        {
            await SendAsync(client, session, "calculate 2+3");
            await events.ReadUntilAsync(f => f.Event is "run.succeeded" or "run.failed");
            Assert.DoesNotContain(events.Frames, f => f.Event == "tool.denied");
            Assert.Equal("math.evaluate", Assert.Single(events.Frames, f => f.Event == "tool.succeeded").EventData.GetProperty("tool").GetString());
        }

        // A module that does not parse: the version that decides stays, health says degraded and names the place.
        _policy.Write("policies/broken.rego", "package soma.broken\n\nallow if {\n");
        var health = await WaitForHealthAsync(client, h => h.GetProperty("status").GetString() == "degraded", TimeSpan.FromSeconds(5));
        Assert.Equal(after, health.GetProperty("details").GetProperty("version").GetString());
        Assert.Contains(health.GetProperty("details").GetProperty("errors").EnumerateArray(), e => e.GetString()!.Contains("broken.rego:", StringComparison.Ordinal));

        var again = await CreateSessionAsync(client);
        using (var events = await SseConnection.OpenAsync(client, again))
        {
            await SendAsync(client, again, "calculate 2+3");
            await events.ReadUntilAsync(f => f.Event is "run.succeeded" or "run.failed");
            Assert.Equal(after, Assert.Single(events.Frames, f => f.Event == "tool.allowed").EventData.GetProperty("policy_revision").GetString());
        }

        // Fixing it loads again and health is normal.
        _policy.Write("policies/broken.rego", "package soma.broken\n\nimport rego.v1\n\nallow if true\n");
        health = await WaitForHealthAsync(client, h => h.GetProperty("status").GetString() == "normal", TimeSpan.FromSeconds(5));
        Assert.NotEqual(after, health.GetProperty("details").GetProperty("version").GetString());
    }

    private async Task<List<JsonElement>> AuditEventsAsync(string tenant)
    {
        var rows = await _server.Services.GetRequiredService<IOutbox>().ListAsync(new OutboxQuery(["agent.audit.v1"], 1000) { TenantId = tenant });
        return [.. rows.Select(r => JsonDocument.Parse(r.Message.Payload).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "audit.decision")
            .Select(e => e.GetProperty("data").Clone())];
    }

    internal static async Task<string> PolicyVersionAsync(HttpClient client) =>
        (await PolicyHealthAsync(client)).GetProperty("details").GetProperty("version").GetString()!;

    internal static async Task<JsonElement> PolicyHealthAsync(HttpClient client)
    {
        var health = await client.GetFromJsonAsync<JsonElement>("/v1/health");
        return health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "policy").Clone();
    }

    private static async Task<string> WaitForVersionChangeAsync(HttpClient client, string before, TimeSpan within)
    {
        var health = await WaitForHealthAsync(client, h => h.GetProperty("details").GetProperty("version").GetString() != before, within);
        return health.GetProperty("details").GetProperty("version").GetString()!;
    }

    private static async Task<JsonElement> WaitForHealthAsync(HttpClient client, Func<JsonElement, bool> until, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var health = await PolicyHealthAsync(client);
            if (until(health))
            {
                return health;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The policy component did not reach the expected state within {within.TotalSeconds} s: {health}");
            await Task.Delay(50);
        }
    }
}
