using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using Soma.Server.Dev;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Policy;

/// <summary>
/// <c>GET /v1/policy/decisions</c> through a real server and the loopback model: one turn as a <c>user</c> (granted
/// <c>time.now</c> only) makes an allow and a deny; an operator lists them newest first with their reasons and the
/// policy version, filters them by tool, decision and time, and pages through them; a non-admin is refused, another
/// tenant sees none, and a bad parameter is a problem that names it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PolicyDecisionsApiTests : IAsyncLifetime
{
    internal const string Roles = """
        version: 1
        roles:
          user:
            tools: ["time.now"]
        """;

    internal const string DeniedReason = "no role of the caller grants tool \"math.evaluate\" (roles: user)";

    private DevModelServer _model = null!;
    private PolicyFolder _policy = null!;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await DevModelServer.StartAsync(new DevModelServerOptions());
        _policy = PolicyFolder.Create(Roles);
        var configuration = Model("dev", _model, "soma-dev");
        configuration["Soma:Policy:Directory"] = _policy.Path;
        _server = await RunningServer.StartAsync(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
        _policy.Dispose();
    }

    [Fact]
    public async Task An_operator_lists_the_turns_decisions_newest_first_with_reasons_and_filters_and_pages_them()
    {
        var tenant = ServerFixture.NewTenant();
        using var alice = _server.For(tenant, "alice", "user");
        using var admin = _server.For(tenant, "operator", "admin");
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var version = await ToolPolicyTests.PolicyVersionAsync(alice);
        var session = await CreateSessionAsync(alice);
        var turn = await SendAsync(alice, session, "What time is it? And calculate 2+3");
        Assert.Equal("succeeded", (await RunEndedAsync(alice, turn.RunId)).GetProperty("state").GetString());

        var all = await DecisionsAsync(admin, "");
        Assert.Equal(2, all.Items.Count);
        Assert.Null(all.NextCursor);
        Assert.True(all.Items[0].GetProperty("time").GetDateTimeOffset() >= all.Items[1].GetProperty("time").GetDateTimeOffset(), "newest first");
        var deny = Assert.Single(all.Items, i => i.GetProperty("tool").GetString() == "math.evaluate");
        Assert.Equal("deny", deny.GetProperty("decision").GetString());
        Assert.Equal([DeniedReason], deny.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(version, deny.GetProperty("policy_version").GetString());
        Assert.Equal("rego", deny.GetProperty("engine").GetString());
        Assert.True(deny.GetProperty("duration_ms").GetDouble() >= 0);
        Assert.Equal("user:alice", deny.GetProperty("actor").GetString());
        Assert.Equal(session, deny.GetProperty("session_id").GetGuid());
        Assert.Equal(turn.RunId, deny.GetProperty("run_id").GetGuid());
        Assert.False(string.IsNullOrEmpty(deny.GetProperty("tool_call_id").GetString()));
        var allow = Assert.Single(all.Items, i => i.GetProperty("tool").GetString() == "time.now");
        Assert.Equal("allow", allow.GetProperty("decision").GetString());

        // Filters: by decision, by tool, both, and by time.
        Assert.Equal(["math.evaluate"], (await DecisionsAsync(admin, "?decision=deny")).Items.Select(i => i.GetProperty("tool").GetString()));
        Assert.Equal(["allow"], (await DecisionsAsync(admin, "?tool=time.now")).Items.Select(i => i.GetProperty("decision").GetString()));
        Assert.Empty((await DecisionsAsync(admin, "?tool=time.now&decision=deny")).Items);
        Assert.Empty((await DecisionsAsync(admin, "?tool=shell.exec")).Items);
        Assert.Equal(2, (await DecisionsAsync(admin, $"?since={Uri.EscapeDataString(before.ToString("O"))}")).Items.Count);
        Assert.Empty((await DecisionsAsync(admin, $"?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"))}")).Items);
        Assert.Equal(2, (await DecisionsAsync(admin, "?tool=&decision=&since=")).Items.Count);

        // Pages of one: the same two, in the same order, then no cursor.
        var first = await DecisionsAsync(admin, "?limit=1");
        var next = Assert.IsType<string>(first.NextCursor);
        var second = await DecisionsAsync(admin, $"?limit=1&cursor={Uri.EscapeDataString(next)}");
        Assert.Null(second.NextCursor);
        Assert.Equal(all.Items.Select(Id), first.Items.Concat(second.Items).Select(Id));

        // Another tenant's operator sees none of them.
        using var otherAdmin = _server.For(ServerFixture.NewTenant(), "operator", "admin");
        Assert.Empty((await DecisionsAsync(otherAdmin, "")).Items);
    }

    [Fact]
    public async Task Only_operators_may_list_decisions_and_a_bad_parameter_is_a_problem_that_names_it()
    {
        var tenant = ServerFixture.NewTenant();
        using var user = _server.For(tenant, "alice", "user");
        using var admin = _server.For(tenant, "operator", "admin");
        using var anonymous = _server.Anonymous();

        await ProblemAssert.IsProblemAsync(await user.GetAsync("/v1/policy/decisions"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/v1/policy/decisions"), HttpStatusCode.Unauthorized, "token-missing");

        foreach (var (query, parameter) in new[]
        {
            ("decision=maybe", "decision"),
            ("decision=DENY", "decision"),
            ("tool=not%20a%20tool", "tool"),
            ("tool=" + new string('t', 65), "tool"),
            ("since=yesterday", "since"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("cursor=not-a-cursor", "cursor"),
        })
        {
            var problem = await ProblemAssert.IsProblemAsync(await admin.GetAsync("/v1/policy/decisions?" + query), HttpStatusCode.BadRequest, "invalid-parameter");
            Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
            Assert.Contains($"'{parameter}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    private static string? Id(JsonElement item) => item.GetProperty("id").GetString();

    private static async Task<(List<JsonElement> Items, string? NextCursor)> DecisionsAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/v1/policy/decisions" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v1/policy/decisions{query}: {(int)response.StatusCode} {body}");
        var page = JsonDocument.Parse(body).RootElement;
        var cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        return ([.. page.GetProperty("items").EnumerateArray().Select(i => i.Clone())], cursor);
    }
}
