using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Soma.Core.Policy;
using Soma.Policy.Bundles;
using Soma.Policy.Engines;
using Soma.Policy.Hosting;
using Soma.Testing;

namespace Soma.Policy.Tests.Engines;

/// <summary>The embedded engine over the shipped policy, behind the policy node: decisions, fail-closed codes, rate limits.</summary>
public sealed class PolicyNodeTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly PolicyFolder _folder = PolicyFolder.Create("""
        version: 1
        roles:
          user:
            tools: ["time.now"]
            rate_limit: {calls_per_minute: 3}
          admin:
            tools: ["*"]
        """);

    public void Dispose()
    {
        _folder.Dispose();
        _services.Dispose();
    }

    [Fact]
    public async Task Without_a_loaded_policy_everything_is_denied_not_loaded()
    {
        var node = Node(new RegoPolicyEngine(Options.Create(new PolicyOptions())));
        var decision = await node.DecideAsync(Input("time.now", "user"));
        Assert.False(decision.Allow);
        Assert.Equal([PolicyReasons.NotLoaded], decision.Reasons);
    }

    [Fact]
    public async Task The_rate_limit_a_decision_carries_is_counted_per_subject_per_minute()
    {
        var node = Node(Loaded());
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await node.DecideAsync(Input("time.now", "user"))).Allow);
        }

        var over = await node.DecideAsync(Input("time.now", "user"));
        Assert.False(over.Allow);
        Assert.Equal("policy.rate_limited: at most 3 tool calls a minute", Assert.Single(over.Reasons));
        Assert.True((await node.DecideAsync(Input("time.now", "user") with { Subject = "bob" })).Allow);
        Assert.True((await node.DecideAsync(Input("time.now", "admin"))).Allow);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await node.DecideAsync(Input("time.now", "user"))).Allow);
    }

    [Fact]
    public async Task Decisions_given_again_from_the_engine_s_cache_are_counted_as_cached()
    {
        var counted = new List<(string Decision, string Cached)>();
        var meters = _services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This test's node only: other tests' nodes count in parallel.
            if (instrument.Name == "soma.policy.decisions" && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var all = tags.ToArray();
            lock (counted)
            {
                counted.Add(((string)all.Single(t => t.Key == "decision").Value!, (string)all.Single(t => t.Key == "cached").Value!));
            }
        });
        listener.Start();

        var node = Node(Loaded());
        await node.DecideAsync(Input("time.now", "admin"));
        await node.DecideAsync(Input("time.now", "admin") with { Session = "another" });
        await node.DecideAsync(Input("shell.run", "user"));

        Assert.Equal([("allow", "false"), ("allow", "true"), ("deny", "false")], counted);
    }

    [Fact]
    public async Task An_undefined_or_malformed_decision_is_a_deny_with_its_code()
    {
        var engine = new RegoPolicyEngine(Options.Create(new PolicyOptions()));
        engine.Swap(PolicyBundleLoader.Load([("p.rego", "package soma.tools\n\nimport rego.v1\n\ndecision := \"yes\" if input.tool.name == \"a\"\n")], Now).Bundle!);
        var node = Node(engine);
        Assert.Equal([PolicyReasons.Malformed], (await node.DecideAsync(Input("a", "user"))).Reasons);
        Assert.Equal([PolicyReasons.Undefined], (await node.DecideAsync(Input("b", "user"))).Reasons);
    }

    [Fact]
    public async Task An_evaluation_error_is_a_deny_with_policy_error()
    {
        var engine = new RegoPolicyEngine(Options.Create(new PolicyOptions()));
        engine.Swap(PolicyBundleLoader.Load([("p.rego", "package soma.tools\n\nimport rego.v1\n\ndecision := {\"allow\": true, \"reasons\": [x]} if x := 1 / count(input.tool.arguments)\n")], Now).Bundle!);
        var decision = await Node(engine).DecideAsync(Input("a", "user"));
        Assert.False(decision.Allow);
        Assert.Equal(PolicyReasons.Error, decision.Reasons[0]);
    }

    private RegoPolicyEngine Loaded()
    {
        var engine = new RegoPolicyEngine(Options.Create(new PolicyOptions()));
        var result = PolicyBundleLoader.Load([_folder.Path], Now);
        Assert.True(result.Succeeded, string.Join('\n', result.Errors));
        engine.Swap(result.Bundle!);
        return engine;
    }

    private PolicyNode Node(IPolicyEngine engine) => new(engine, _time, _services.GetRequiredService<IMeterFactory>(), NullLogger<PolicyNode>.Instance);

    private static PolicyInput Input(string tool, string role) =>
        new("acme", "alice", [role], new PolicyToolInput(tool, System.Text.Json.JsonDocument.Parse("{}").RootElement, "low", false), null, null, null, Now);
}
