using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Contracts.Events;
using Soma.Core.Messaging;
using Soma.Core.Policy;
using Soma.Policy.Bundles;
using Soma.Policy.Engines;
using Soma.Policy.Hosting;

namespace Soma.Benchmarks;

/// <summary>
/// The benchmark job (`dotnet run -c Release -- ci [--smoke] [--out FILE] [--nats URL]`): a short, fixed set of the
/// load drivers, each with its baseline measured in the same run, and one <c>agent.benchmarks.v1</c> event per figure
/// (<see cref="BenchmarkEmitter"/>: checked, validated, published to the bus and written to a JSON-lines file).
/// <list type="bullet">
/// <item><c>ingest</c> (<see cref="IngestLoad"/>): the real server, gateway role, SQLite FULL; concurrent
/// <c>POST /v1/sessions/{id}/messages</c> against the baseline <c>GET /healthz</c> of the same server and client:
/// requests/s and p99.</item>
/// <item><c>first-delta</c> (<see cref="FirstDeltaLoad"/>): gateway and worker, SQLite FULL, the dev model server
/// answering at once; one message at a time, POST to the first streamed word against the same messages' POST to 202:
/// p50 and p99.</item>
/// <item><c>policy</c> (<see cref="PolicyLoad"/>): decisions of the shipped policy by the embedded Rego engine against the
/// allow-list it replaced: decisions/s and p99.</item>
/// </list>
/// The bus is the server's own: in-process by default, NATS JetStream with <c>--nats</c>. Smoke mode takes seconds (short
/// drives, no JIT settling); the full mode warms up until the JIT settles and drives for 10 s. Exit 0 when every figure
/// was emitted, 1 when a figure is invalid or a driver failed, 2 on a bad command line.
/// </summary>
public static class CiBench
{
    /// <summary>The sizes of one mode.</summary>
    private sealed record Plan(string Name, int Clients, TimeSpan Drive, bool SettleJit, int Decisions, int Messages);

    private static readonly Plan Smoke = new("smoke", 8, TimeSpan.FromSeconds(2), SettleJit: false, Decisions: 20_000, Messages: 20);
    private static readonly Plan Full = new("full", 32, TimeSpan.FromSeconds(10), SettleJit: true, Decisions: 200_000, Messages: 200);

    public static async Task<int> RunAsync(string[] args)
    {
        var plan = Full;
        var output = "benchmarks.agent.benchmarks.v1.jsonl";
        string? nats = null;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--smoke":
                    plan = Smoke;
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--nats" when i + 1 < args.Length:
                    nats = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"ci: unknown or incomplete option '{args[i]}'. Usage: ci [--smoke] [--out FILE] [--nats URL]");
                    return 2;
            }
        }

        output = Path.GetFullPath(output);
        if (File.Exists(output))
        {
            await Console.Error.WriteLineAsync($"ci: {output} already exists: each run writes a new file.");
            return 2;
        }

        var machine = SandboxBench.Machine();
        var configuration = new Dictionary<string, string?>
        {
            ["Soma:Roles"] = "gateway",
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
            // Gateway only: no sync role drains the turns' memory writes, so the default backlog cap would turn the
            // full run's later POSTs into fast 503s, and the figure would measure the refusal, not the ingest.
            ["Soma:Memory:OutboxCapPerTenant"] = "10000000",
        };
        if (nats is not null)
        {
            configuration["Soma:Bus:Provider"] = "nats";
            configuration["Soma:Bus:Nats:Url"] = nats;
        }

        try
        {
            await using var server = await BenchServer.StartAsync(configuration);
            var bus = server.Services.GetRequiredService<IEventBus>();
            await bus.PrepareAsync();
            var emitter = new BenchmarkEmitter(bus, output);
            await Console.Out.WriteLineAsync($"ci ({plan.Name}): figures to {output} and the {bus.Name} bus ({EventSubjects.For(BenchmarkEmitter.DefaultTenant, SchemaNames.Benchmarks)})");

            foreach (var figure in await IngestAsync(server, plan, machine))
            {
                await EmitAsync(emitter, figure);
            }

            foreach (var figure in await FirstDeltaAsync(plan, machine))
            {
                await EmitAsync(emitter, figure);
            }

            foreach (var figure in await PolicyAsync(plan, machine))
            {
                await EmitAsync(emitter, figure);
            }

            await Console.Out.WriteLineAsync($"ci: {emitter.Lines.Count} figures emitted");
            return 0;
        }
        catch (InvalidBenchmarkFigureException ex)
        {
            await Console.Error.WriteLineAsync($"ci: {ex.Message}");
            return 1;
        }
        catch (EventBusException ex)
        {
            await Console.Error.WriteLineAsync($"ci: the bus refused a figure: {ex.Message}");
            return 1;
        }
    }

    private static async Task EmitAsync(BenchmarkEmitter emitter, BenchmarkResult figure)
    {
        await emitter.EmitAsync(figure);
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  {figure.Benchmark,-28} {figure.Metric,-22} {figure.Value,14:0.###} {figure.Unit,-6} baseline {figure.Baseline,14:0.###}  ratio {figure.Ratio:0.####}"));
    }

    private static async Task<BenchmarkResult[]> IngestAsync(BenchServer server, Plan plan, MachineInfo machine)
    {
        using var client = server.CreateClient(plan.Clients);
        var sessions = await IngestLoad.CreateSessionsAsync(client);
        var healthz = new Uri(server.BaseAddress, "/healthz");
        HttpRequestMessage Trivial(long n) => new(HttpMethod.Get, healthz);
        HttpRequestMessage Message(long n)
        {
            var content = new ByteArrayContent(IngestLoad.MessageBody);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return new HttpRequestMessage(HttpMethod.Post, sessions[n % sessions.Length]) { Content = content };
        }

        await WarmUpAsync(client, plan, Trivial, HttpStatusCode.OK);
        var baseline = await IngestLoad.DriveAsync(client, plan.Clients, plan.Drive, Trivial, HttpStatusCode.OK);
        await WarmUpAsync(client, plan, Message, HttpStatusCode.Accepted);
        var ingest = await IngestLoad.DriveAsync(client, plan.Clients, plan.Drive, Message, HttpStatusCode.Accepted);
        if (ingest.ErrorCount > 0 || baseline.ErrorCount > 0)
        {
            // A rate with refusals in it is not the figure it names: the job fails instead of publishing it.
            throw new InvalidBenchmarkFigureException($"ingest.sqlite_full had failed requests (ingest: {ingest.ErrorText}; baseline: {baseline.ErrorText}); no figure of it is emitted.");
        }

        const string Name = "ingest.sqlite_full";
        return
        [
            Figure(Name, "requests_per_second", ingest.RequestsPerSecond, "req/s", baseline.RequestsPerSecond, machine),
            Figure(Name, "p99_latency", ingest.Latency.P99, "ms", baseline.Latency.P99, machine),
        ];
    }

    private static async Task WarmUpAsync(HttpClient client, Plan plan, Func<long, HttpRequestMessage> request, HttpStatusCode expected)
    {
        if (plan.SettleJit)
        {
            await IngestLoad.WarmUpAsync(client, plan.Clients, request, expected);
        }
        else
        {
            await IngestLoad.DriveAsync(client, plan.Clients, TimeSpan.FromSeconds(1), request, expected);
        }
    }

    private static async Task<BenchmarkResult[]> FirstDeltaAsync(Plan plan, MachineInfo machine)
    {
        await using var model = await Soma.Server.Dev.DevModelServer.StartAsync(new Soma.Server.Dev.DevModelServerOptions { ChunkDelay = TimeSpan.Zero });
        var configuration = new Dictionary<string, string?>
        {
            ["Soma:Roles"] = "gateway,worker",
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
            ["Soma:Models:Endpoints:dev:Endpoint"] = model.BaseAddress.ToString(),
            ["Soma:Models:Endpoints:dev:Model"] = "soma-dev",
        };
        await using var server = await BenchServer.StartAsync(configuration);
        var rows = await FirstDeltaLoad.MeasureAsync(server, plan.Messages, plan.SettleJit);
        var accepted = rows.Single(r => r.Id == "accepted").Latency;
        var firstDelta = rows.Single(r => r.Id == "first_delta").Latency;

        // The baseline is the same messages' 202: what the first word costs beyond accepting the message.
        const string Name = "turn.first_delta";
        return
        [
            Figure(Name, "p50_latency", firstDelta.P50, "ms", accepted.P50, machine),
            Figure(Name, "p99_latency", firstDelta.P99, "ms", accepted.P99, machine),
        ];
    }

    private static async Task<BenchmarkResult[]> PolicyAsync(Plan plan, MachineInfo machine)
    {
        var loaded = PolicyBundleLoader.Load([Path.Combine(AppContext.BaseDirectory, "conf")], DateTimeOffset.UtcNow);
        var bundle = loaded.Bundle ?? throw new InvalidOperationException("The shipped policy does not load: " + string.Join("; ", loaded.Errors));
        // The evaluation, as this series has measured it from the start: with the decision cache on, the four inputs
        // would be four cache hits after the warm-up (the `policy` driver shows both).
        var engine = new RegoPolicyEngine(Options.Create(new PolicyOptions { DecisionCacheEntries = 0 }));
        engine.Swap(bundle);
        var inputs = PolicyLoad.Inputs();
        var allowList = new HashSet<string>(PolicyLoad.AllowList, StringComparer.Ordinal);
        var rego = await PolicyLoad.MeasureAsync("embedded rego", plan.Decisions, inputs, i => engine.DecideAsync(i));
        var baseline = await PolicyLoad.MeasureAsync("allow-list (replaced)", plan.Decisions, inputs, i => ValueTask.FromResult(allowList.Contains(i.Tool.Name)
            ? new PolicyDecision(true, ["Listed in Soma:Tools:Allow."], "allow-list", "allow-list", TimeSpan.Zero)
            : PolicyDecision.Deny("not listed", "allow-list", "allow-list", TimeSpan.Zero)));

        const string Name = "policy.embedded_rego";
        return
        [
            Figure(Name, "decisions_per_second", rego.PerSecond, "decisions/s", baseline.PerSecond, machine),
            Figure(Name, "p99_latency", rego.Summary.P99 * 1000, "us", baseline.Summary.P99 * 1000, machine),
        ];
    }

    /// <summary>A figure with its baseline and their ratio, rounded for reading; a zero or missing baseline gives a ratio the emitter refuses.</summary>
    internal static BenchmarkResult Figure(string benchmark, string metric, double value, string unit, double baseline, MachineInfo machine) =>
        new(benchmark, metric, Math.Round(value, 3), unit, machine, Math.Round(baseline, 3), Math.Round(value / baseline, 4));
}
