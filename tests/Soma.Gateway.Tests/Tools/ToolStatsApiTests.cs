using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using Soma.Server.Dev;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Tools;

/// <summary>
/// <c>GET /v1/tools/stats</c> through a real server and the loopback model: one turn makes four tool calls (one
/// succeeds, one fails, one is denied by the policy, one more succeeds); any user of the tenant reads them per tool
/// with percentiles and a series, filters by tool and window; another tenant sees none; a bad parameter is a problem
/// that names it; and operators see the same calls in the <c>soma.tool.*</c> metrics.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ToolStatsApiTests : IAsyncLifetime
{
    internal const string Roles = """
        version: 1
        roles:
          user:
            tools: ["time.now", "math.evaluate"]
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
        _server = await RunningServer.StartAsync(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
        _policy.Dispose();
    }

    /// <summary>The model asks for four calls at once: time.now, 2+3, a broken expression, and session.search (not granted).</summary>
    internal static ScriptedResponse FourCalls() => ScriptedResponse.Tools(
        new ScriptedToolCall("call_time", "time__now", "{}"),
        new ScriptedToolCall("call_sum", "math__evaluate", """{"expression":"2+3"}"""),
        new ScriptedToolCall("call_broken", "math__evaluate", """{"expression":"1/"}"""),
        new ScriptedToolCall("call_search", "session__search", """{"query":"anything"}"""));

    [Fact]
    public async Task A_user_reads_the_tenants_calls_per_tool_with_percentiles_and_a_series_and_filters_them()
    {
        var tenant = ServerFixture.NewTenant();
        using var alice = _server.For(tenant, "alice", "user");
        var session = await CreateSessionAsync(alice);
        _model.Enqueue(FourCalls());
        var turn = await SendAsync(alice, session, "use the tools");
        Assert.Equal("succeeded", (await RunEndedAsync(alice, turn.RunId)).GetProperty("state").GetString());

        var stats = await StatsAsync(alice, "");
        Assert.Equal(tenant, stats.GetProperty("tenant").GetString());
        Assert.Equal("24h", stats.GetProperty("window").GetString());
        Assert.Equal(3600, stats.GetProperty("bucket_seconds").GetDouble());
        Assert.Equal(TimeSpan.FromHours(24), stats.GetProperty("to").GetDateTimeOffset() - stats.GetProperty("from").GetDateTimeOffset());
        var tools = stats.GetProperty("tools").EnumerateArray().ToList();
        Assert.Equal(["math.evaluate", "session.search", "time.now"], tools.Select(t => t.GetProperty("tool").GetString()));

        var math = tools[0];
        Assert.Equal((2, 1, 1, 0, 0), Counts(math));
        Assert.True(math.GetProperty("p50_ms").GetDouble() <= math.GetProperty("p95_ms").GetDouble());
        Assert.True(math.GetProperty("p95_ms").GetDouble() <= math.GetProperty("p99_ms").GetDouble());
        // "5" and the parser's complaint, in UTF-8 bytes.
        Assert.True(math.GetProperty("bytes_out").GetInt64() > 1);

        var search = tools[1];
        Assert.Equal((1, 0, 0, 1, 0), Counts(search));
        Assert.Equal(JsonValueKind.Null, search.GetProperty("p50_ms").ValueKind);
        Assert.Equal(0, search.GetProperty("bytes_out").GetInt64());

        var time = tools[2];
        Assert.Equal((1, 1, 0, 0, 0), Counts(time));
        Assert.Equal(time.GetProperty("p50_ms").GetDouble(), time.GetProperty("p99_ms").GetDouble());
        Assert.True(time.GetProperty("bytes_out").GetInt64() >= "2026-01-01T00:00:00Z".Length);

        // The series: 24 hourly buckets, the calls in the newest one.
        foreach (var tool in tools)
        {
            var series = tool.GetProperty("series").EnumerateArray().ToList();
            Assert.Equal(24, series.Count);
            Assert.Equal(tool.GetProperty("calls").GetInt64(), series[^1].GetProperty("calls").GetInt64());
            Assert.Equal(tool.GetProperty("failed").GetInt64(), series[^1].GetProperty("failed").GetInt64());
            Assert.Equal(tool.GetProperty("denied").GetInt64(), series[^1].GetProperty("denied").GetInt64());
            Assert.All(series.SkipLast(1), b => Assert.Equal(0, b.GetProperty("calls").GetInt64()));
        }

        var totals = stats.GetProperty("totals");
        Assert.Equal((4, 2, 1, 1, 0), Counts(totals));

        // Filters: one tool, a shorter window, the caller's own tenant named, a tool nobody called.
        var one = await StatsAsync(alice, "?tool=time.now&window=15m");
        Assert.Equal(["time.now"], one.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("tool").GetString()));
        Assert.Equal(37.5, one.GetProperty("bucket_seconds").GetDouble());
        Assert.Equal(3, (await StatsAsync(alice, $"?tenant={tenant}&window=7d")).GetProperty("tools").GetArrayLength());
        Assert.Empty((await StatsAsync(alice, "?tool=shell.run")).GetProperty("tools").EnumerateArray());
        Assert.Equal(3, (await StatsAsync(alice, "?tool=&window=&tenant=")).GetProperty("tools").GetArrayLength());

        // Another tenant sees none of them, and cannot ask for this one.
        using var other = _server.For(ServerFixture.NewTenant(), "mallory", "admin");
        var theirs = await StatsAsync(other, "");
        Assert.Empty(theirs.GetProperty("tools").EnumerateArray());
        Assert.Equal(0, theirs.GetProperty("totals").GetProperty("calls").GetInt64());
        var refused = await ProblemAssert.IsProblemAsync(await other.GetAsync($"/v1/tools/stats?tenant={tenant}"), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("tenant", refused.GetProperty("parameter").GetString());

        // Operators see the same calls in the metrics.
        using var admin = _server.For(tenant, "ops", "admin");
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Matches("soma_tool_calls_total\\{[^}]*outcome=\"denied\"[^}]*tool=\"session.search\"[^}]*\\} 1", metrics);
        Assert.Matches("soma_tool_calls_total\\{[^}]*outcome=\"failed\"[^}]*sandbox=\"none\"[^}]*tool=\"math.evaluate\"[^}]*\\} 1", metrics);
        Assert.Matches("soma_tool_duration_milliseconds_count\\{[^}]*tool=\"math.evaluate\"[^}]*\\} 2", metrics);
        Assert.Matches("soma_tool_output_bytes_count\\{[^}]*tool=\"time.now\"[^}]*\\} 1", metrics);
    }

    [Fact]
    public async Task A_bad_parameter_is_a_problem_that_names_it_and_a_caller_without_a_token_is_refused()
    {
        using var user = _server.For(ServerFixture.NewTenant(), "alice", "user");
        foreach (var (query, parameter) in new[]
        {
            ("window=24", "window"),
            ("window=0h", "window"),
            ("window=1.5h", "window"),
            ("window=-1h", "window"),
            ("window=24x", "window"),
            ("window=31d", "window"),
            ("window=h", "window"),
            ("window=PT24H", "window"),
            ("tool=not%20a%20tool", "tool"),
            ("tool=" + new string('t', 65), "tool"),
        })
        {
            var problem = await ProblemAssert.IsProblemAsync(await user.GetAsync("/v1/tools/stats?" + query), HttpStatusCode.BadRequest, "invalid-parameter");
            Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
            Assert.Contains($"'{parameter}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using var anonymous = _server.Anonymous();
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/v1/tools/stats"), HttpStatusCode.Unauthorized, "token-missing");
    }

    private static (long Calls, long Succeeded, long Failed, long Denied, long Timeouts) Counts(JsonElement item) => (
        item.GetProperty("calls").GetInt64(), item.GetProperty("succeeded").GetInt64(), item.GetProperty("failed").GetInt64(),
        item.GetProperty("denied").GetInt64(), item.GetProperty("timeouts").GetInt64());

    private static async Task<JsonElement> StatsAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/v1/tools/stats" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v1/tools/stats{query}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
