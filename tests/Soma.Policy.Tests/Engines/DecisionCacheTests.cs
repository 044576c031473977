using System.Text.Json;
using CsCheck;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Core.Policy;
using Soma.Policy.Bundles;
using Soma.Policy.Engines;
using Soma.Policy.Hosting;
using Soma.Testing;

namespace Soma.Policy.Tests.Engines;

/// <summary>
/// The embedded engine's decision cache: a decision is given again only to a call that agrees with the one decided
/// wherever that evaluation read its input, never across bundles, and never for an evaluation that depended on more.
/// </summary>
public sealed class DecisionCacheTests : IDisposable
{
    private const string Roles = """
        version: 1
        default_roles: [user]
        roles:
          user:
            tools: ["time.now", "math.evaluate", "files.*"]
          fetcher:
            tools: ["http.fetch"]
            rate_limit: {calls_per_minute: 60}
          admin:
            tools: ["*"]
        tools:
          shell.run: { sandbox: true }
          math.evaluate:
            arguments:
              expression: { required: true, max_length: 10 }
          http.fetch:
            arguments:
              url: { required: true, pattern: "^https://" }
            egress: { hosts: ["example.com"] }
        """;

    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private readonly PolicyFolder _folder = PolicyFolder.Create(Roles);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_call_that_agrees_wherever_the_policy_read_gets_the_decision_again_and_one_that_differs_there_is_decided_anew()
    {
        var engine = Shipped();
        var first = await engine.DecideAsync(Input("time.now", ["user"], "{}", session: "s1"));
        Assert.True(first.Allow);
        Assert.False(first.Cached);

        // Another session, run, time and arguments: the policy read none of them for time.now (it has no argument rules).
        var again = await engine.DecideAsync(Input("time.now", ["user"], """{"zone": "UTC"}""", session: "s2") with { Run = "r9", Now = Now.AddHours(3) });
        Assert.True(again.Cached);
        Assert.Equal(first.Reasons, again.Reasons);
        Assert.Equal(first.PolicyVersion, again.PolicyVersion);

        // The tool's name and the caller's roles were read: a change in either is decided anew.
        var shell = await engine.DecideAsync(Input("shell.run", ["user"], "{}"));
        Assert.False(shell.Allow);
        Assert.False(shell.Cached);
        var admin = await engine.DecideAsync(Input("shell.run", ["admin"], "{}"));
        Assert.False(admin.Cached);
        Assert.Equal("""tool "shell.run" may only run in a sandbox""", Assert.Single(admin.Reasons));
        Assert.True((await engine.DecideAsync(Input("shell.run", ["admin"], "{}", sandbox: true))).Allow);

        // A tool with argument rules has its arguments read: each value is its own entry.
        var https = await engine.DecideAsync(Input("http.fetch", ["fetcher"], """{"url": "https://example.com/"}"""));
        var http = await engine.DecideAsync(Input("http.fetch", ["fetcher"], """{"url": "http://example.com/"}"""));
        Assert.True(https.Allow);
        Assert.False(http.Allow);
        Assert.False(http.Cached);
        var httpsAgain = await engine.DecideAsync(Input("http.fetch", ["fetcher"], """{"url": "https://example.com/"}""", session: "s3"));
        Assert.True(httpsAgain.Cached);
        Assert.Equal(https.Obligations?.GetRawText(), httpsAgain.Obligations?.GetRawText());
    }

    [Fact]
    public async Task Cached_decisions_are_the_decisions_the_policy_makes_for_any_sequence_of_calls()
    {
        var bundle = Load(_folder.Path);
        string[] tools = ["time.now", "math.evaluate", "http.fetch", "shell.run", "files.read", "mcp.tickets.open", "time.now\u0000"];
        string[] roles = ["user", "fetcher", "admin", "guest"];
        string[] arguments = ["{}", """{"expression": "1+1"}""", """{"expression": "123456789012"}""", """{"expression": 7}""",
            """{"url": "https://example.com/"}""", """{"url": "ftp://x"}""", """{"url": "https://example.com/", "expression": "2"}"""];
        var call = Gen.Select(OneOf(tools), OneOf(roles).Array[0, 3], OneOf(arguments), Gen.Bool, Gen.Int[0, 3],
            (tool, callerRoles, args, sandbox, session) => Input(tool, callerRoles, args, sandbox, "s" + session));

        await call.Array[1, 40].SampleAsync(async calls =>
        {
            var cached = Engine(bundle, entries: 10_000);
            var plain = Engine(bundle, entries: 0);
            foreach (var input in calls)
            {
                var expected = await plain.DecideAsync(input);
                var actual = await cached.DecideAsync(input);
                Assert.False(expected.Cached);
                Assert.Equal(expected.Allow, actual.Allow);
                Assert.Equal(expected.Reasons, actual.Reasons);
                Assert.Equal(expected.Obligations?.GetRawText(), actual.Obligations?.GetRawText());
            }
        }, iter: 300);
    }

    [Theory]
    [InlineData("decision := {\"allow\": time.now_ns() < 1796472000000000000} if input.tool.name", "a builtin whose answer changes between calls")]
    [InlineData("decision := {\"allow\": allowed} if input.tool.name\n\nallowed if input.tool.name == \"time.now\" with input.tool.name as \"time.now\"", "the input replaced by with")]
    [InlineData("decision := {\"allow\": count(input) > 0}", "the input read whole")]
    public async Task An_evaluation_that_depended_on_more_than_the_values_it_read_is_not_kept(string rule, string why)
    {
        var engine = Engine(Load([("p.rego", "package soma.tools\n\nimport rego.v1\n\n" + rule + "\n")]), entries: 10_000);
        var input = Input("time.now", ["user"], "{}");
        Assert.False((await engine.DecideAsync(input)).Cached, why);
        Assert.False((await engine.DecideAsync(input)).Cached, why);
        Assert.Equal(0, engine.CachedEntries(input.Query));
    }

    [Fact]
    public async Task The_clock_a_policy_reads_through_time_now_ns_is_the_call_s_own()
    {
        // 2026-12-05T12:00:00Z in nanoseconds: allowed before it, denied from it, though nothing else differs.
        var engine = Engine(Load([("p.rego", "package soma.tools\n\nimport rego.v1\n\ndecision := {\"allow\": time.now_ns() < 1796472000000000000}\n")]), entries: 10_000);
        Assert.True((await engine.DecideAsync(Input("time.now", ["user"], "{}") with { Now = Now.AddSeconds(-1) })).Allow);
        Assert.False((await engine.DecideAsync(Input("time.now", ["user"], "{}") with { Now = Now })).Allow);
    }

    [Fact]
    public async Task A_new_policy_decides_at_once_with_nothing_kept_from_the_old_one()
    {
        var engine = Engine(Load([("p.rego", "package soma.tools\n\nimport rego.v1\n\ndecision := {\"allow\": input.tool.name == \"time.now\"}\n")]), entries: 10_000);
        var input = Input("time.now", ["user"], "{}");
        Assert.True((await engine.DecideAsync(input)).Allow);
        Assert.True((await engine.DecideAsync(input)).Cached);

        engine.Swap(Load([("p.rego", "package soma.tools\n\nimport rego.v1\n\ndecision := {\"allow\": false, \"reasons\": [\"closed\"]} if input.tool.name\n")]));
        var after = await engine.DecideAsync(input);
        Assert.False(after.Allow);
        Assert.False(after.Cached);
        Assert.Equal(["closed"], after.Reasons);
    }

    [Fact]
    public async Task The_cache_stays_within_its_capacity_and_can_be_turned_off()
    {
        var bounded = Engine(Load(_folder.Path), entries: 16);
        for (var i = 0; i < 200; i++)
        {
            Assert.False((await bounded.DecideAsync(Input($"tool.n{i}", ["user"], "{}"))).Allow);
            Assert.InRange(bounded.CachedEntries("data.soma.tools.decision"), 1, 16);
        }

        var off = Engine(Load(_folder.Path), entries: 0);
        Assert.False((await off.DecideAsync(Input("time.now", ["user"], "{}"))).Cached);
        Assert.False((await off.DecideAsync(Input("time.now", ["user"], "{}"))).Cached);
        Assert.Equal(0, off.CachedEntries("data.soma.tools.decision"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1000001")]
    public async Task A_cache_size_out_of_range_stops_the_start_naming_the_key(string entries)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Soma:Policy:Directory"] = _folder.Path,
            ["Soma:Policy:DecisionCacheEntries"] = entries,
        }).Build();
        await using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddMetrics().AddSomaPolicy(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("DecisionCacheEntries", string.Join("\n", error.Failures), StringComparison.Ordinal);
    }

    private static Gen<string> OneOf(string[] values) => Gen.OneOf([.. values.Select(Gen.Const)]);

    private RegoPolicyEngine Shipped() => Engine(Load(_folder.Path), new PolicyOptions().DecisionCacheEntries);

    private static RegoPolicyEngine Engine(PolicyBundle bundle, int entries)
    {
        var engine = new RegoPolicyEngine(Options.Create(new PolicyOptions { DecisionCacheEntries = entries }));
        engine.Swap(bundle);
        return engine;
    }

    private static PolicyBundle Load(string folder)
    {
        var result = PolicyBundleLoader.Load([folder], Now);
        Assert.True(result.Succeeded, string.Join('\n', result.Errors));
        return result.Bundle!;
    }

    private static PolicyBundle Load(IReadOnlyList<(string Name, string Text)> files)
    {
        var result = PolicyBundleLoader.Load(files, Now);
        Assert.True(result.Succeeded, string.Join('\n', result.Errors));
        return result.Bundle!;
    }

    private static PolicyInput Input(string tool, string[] roles, string arguments, bool sandbox = false, string? session = null) =>
        new("acme", "alice", roles, new PolicyToolInput(tool, JsonDocument.Parse(arguments).RootElement, "low", sandbox), session, "r1", "tools", Now);
}
