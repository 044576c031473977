using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Core.Policy;
using Soma.Policy.Bundles;
using Soma.Policy.Engines;
using Soma.Policy.Hosting;
using Soma.Policy.Opa;
using Soma.Policy.Rego.Values;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// The policy driver (`dotnet run -c Release -- policy [N]`): decisions of the shipped policy (<c>conf/</c>: roles.yaml +
/// tools.rego) on a mix of four inputs (granted, no role grants it, an argument rule broken, a token role that adds a
/// grant), one at a time, each timed alone. The deciders in the same run: the embedded Rego engine as shipped (its
/// decision cache on: after the warm-up, four cache hits) and with the cache off (N decisions each), the
/// OPA adapter over loopback HTTP to a stand-in that evaluates the same compiled policy (N / 20 decisions: most of its
/// time is HTTP), and the allow-list the policy replaced (a set lookup and a decision record, N decisions). Each is warmed
/// up untimed first.
/// </summary>
public static class PolicyLoad
{
    internal static readonly string[] AllowList = ["time.now", "math.evaluate", "session.search", "memory.recall", "memory.save"];

    public static async Task<int> RunAsync(string[] args)
    {
        var n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
        var conf = Path.Combine(AppContext.BaseDirectory, "conf");
        var loaded = PolicyBundleLoader.Load([conf], DateTimeOffset.UtcNow);
        if (loaded.Bundle is not { } bundle)
        {
            Console.Error.WriteLine(string.Join(Environment.NewLine, loaded.Errors));
            return 1;
        }

        var embedded = new RegoPolicyEngine(Options.Create(new PolicyOptions()));
        embedded.Swap(bundle);
        var inputs = Inputs();
        foreach (var input in inputs)
        {
            var d = await embedded.DecideAsync(input);
            Console.WriteLine($"{input.Tool.Name,-15} roles [{string.Join(",", input.Roles)}] → {(d.Allow ? "allow" : "deny")}: {string.Join("; ", d.Reasons)}");
        }

        var rego = await MeasureAsync("embedded rego", n, inputs, i => embedded.DecideAsync(i));

        // Every decision evaluated: the decision cache off (Soma:Policy:DecisionCacheEntries = 0).
        var uncached = new RegoPolicyEngine(Options.Create(new PolicyOptions { DecisionCacheEntries = 0 }));
        uncached.Swap(bundle);
        var evaluated = await MeasureAsync("embedded rego, no cache", n, inputs, i => uncached.DecideAsync(i));

        // The evaluation alone, on input documents built once: what the engine costs without the adapter around it.
        var prepared = bundle.Policy.Prepare(PolicyQueries.ToolDecision);
        var documents = inputs.ToDictionary(i => i, i => Value.ParseJson(JsonSerializer.Serialize(new
        {
            tenant = i.Tenant,
            subject = i.Subject,
            roles = i.Roles,
            tool = new { name = i.Tool.Name, arguments = i.Tool.Arguments, risk = i.Tool.Risk, sandbox = i.Tool.Sandbox },
            session = i.Session,
            run = i.Run,
            step = i.Step,
            now = i.Now,
        })));
        var evaluationOnly = await MeasureAsync("rego evaluation only", n, inputs, i =>
            ValueTask.FromResult(DecisionValue.Read(prepared.Evaluate(documents[i]), bundle.Version, "rego", TimeSpan.Zero)));

        // The stand-in evaluates the same compiled policy, so the difference is the adapter and the wire.
        await using var opa = await OpaStandIn.StartAsync((path, input) =>
        {
            var value = bundle.Policy.Evaluate("data." + path.Replace('/', '.'), input is null ? null : Value.ParseJson(input.ToJsonString()));
            return value is null ? null : JsonNode.Parse(value.ToJson());
        });
        using var opaEngine = new OpaPolicyEngine(new OpaOptions { Url = opa.BaseAddress, TimeoutMilliseconds = 5_000 }, NullLogger<OpaPolicyEngine>.Instance);
        var overHttp = await MeasureAsync("opa adapter (loopback)", Math.Max(1_000, n / 20), inputs, i => opaEngine.DecideAsync(i));

        var allowList = new HashSet<string>(AllowList, StringComparer.Ordinal);
        var baseline = await MeasureAsync("allow-list (replaced)", n, inputs, i => ValueTask.FromResult(allowList.Contains(i.Tool.Name)
            ? new PolicyDecision(true, ["Listed in Soma:Tools:Allow."], "allow-list", "allow-list", TimeSpan.Zero)
            : PolicyDecision.Deny("not listed", "allow-list", "allow-list", TimeSpan.Zero)));

        if (args.Contains("--alloc-profile"))
        {
            AllocationProfile.Run(() => embedded.DecideAsync(inputs[0]).AsTask().Wait(), inputs.Length * 50_000, i => embedded.DecideAsync(inputs[i % inputs.Length]));
        }

        Console.WriteLine();
        Console.WriteLine($"embedded rego: {BytesPerDecision(inputs, i => embedded.DecideAsync(i)):N0} bytes allocated per decision; evaluation only: {BytesPerDecision(inputs, i => ValueTask.FromResult(DecisionValue.Read(prepared.Evaluate(documents[i]), bundle.Version, "rego", TimeSpan.Zero))):N0}");
        Console.WriteLine($"{"decider",-24} {"decisions/s",12} {"p50 µs",9} {"p99 µs",9} {"max µs",9}");
        foreach (var (name, summary, perSecond) in (IEnumerable<(string, LatencySummary, double)>)[rego, evaluated, evaluationOnly, overHttp, baseline])
        {
            Console.WriteLine($"{name,-24} {perSecond,12:N0} {summary.P50 * 1000,9:0.00} {summary.P99 * 1000,9:0.00} {summary.Max * 1000,9:0.00}");
        }

        Console.WriteLine();
        Console.WriteLine($"embedded p99 (evaluated) / allow-list p99 = {evaluated.Summary.P99 / baseline.Summary.P99:0.0}x; cached p99 / evaluated p99 = {rego.Summary.P99 / evaluated.Summary.P99:0.00}x; opa adapter p99 / embedded p99 (evaluated) = {overHttp.Summary.P99 / evaluated.Summary.P99:0.0}x; aim: embedded p99 (evaluated) < 10 µs: {(evaluated.Summary.P99 * 1000 < 10 ? "met" : "NOT met")}");
        return 0;
    }

    internal static async Task<(string Name, LatencySummary Summary, double PerSecond)> MeasureAsync(string name, int n, PolicyInput[] inputs, Func<PolicyInput, ValueTask<PolicyDecision>> decide)
    {
        for (var i = 0; i < Math.Min(n, 20_000); i++)
        {
            await decide(inputs[i % inputs.Length]);
        }

        var latencies = new double[n];
        var total = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var decision = await decide(inputs[i % inputs.Length]);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (decision.Reasons.Count == 0 && !decision.Allow)
            {
                throw new InvalidOperationException("A deny without reasons.");
            }
        }

        total.Stop();
        return (name, LatencySummary.Of(latencies), n / total.Elapsed.TotalSeconds);
    }

    // Allocation per decision on this thread (the decisions complete synchronously), over the same mix of inputs.
    private static long BytesPerDecision(PolicyInput[] inputs, Func<PolicyInput, ValueTask<PolicyDecision>> decide)
    {
        const int Count = 20_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Count; i++)
        {
            _ = decide(inputs[i % inputs.Length]).Result;
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / Count;
    }

    internal static PolicyInput[] Inputs()
    {
        var now = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        PolicyInput Call(string tool, string arguments, params string[] roles)
        {
            using var document = JsonDocument.Parse(arguments);
            return new PolicyInput("bench", "alice", roles, new PolicyToolInput(tool, document.RootElement.Clone(), "low", false), Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), "tools", now);
        }

        return
        [
            Call("time.now", "{}"),
            Call("shell.exec", """{"command":"ls"}"""),
            Call("math.evaluate", $$"""{"expression":"{{new string('1', 600)}}"}""", "user"),
            Call("math.evaluate", """{"expression":"2+3"}""", "admin"),
        ];
    }
}
