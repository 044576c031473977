using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Soma.Server.Dev;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// What tracing costs (`dotnet run -c Release -- trace [seconds] [clients] [messages]`): the ingest driver
/// (<see cref="IngestLoad"/>: gateway only, SQLite FULL, concurrent POSTs) and the first-delta driver
/// (<see cref="FirstDeltaLoad"/>: gateway and worker, dev model server, one message at a time), each run three times in
/// one process against a fresh server: tracing not exported (the default: spans are made for the ids in logs and events,
/// nothing leaves the process), exported over OTLP/HTTP with <c>parentbased_traceidratio</c> at 10 %, and at 100 %,
/// to a loopback OTLP receiver that accepts every export. The exported rows are printed as ratios to the first.
/// </summary>
public static class TraceLoad
{
    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
        var messages = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 200;
        var rounds = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3;
        await using var receiver = await OtlpTraceReceiver.StartAsync(decode: false);
        var modes = new (string Name, string Id, Dictionary<string, string?> Settings)[]
        {
            ("not exported (default)", "off", []),
            ("OTLP, 10 % sampled", "otlp-10", Exported(receiver, 0.1)),
            ("OTLP, 100 % sampled", "otlp-100", Exported(receiver, 1.0)),
        };

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rounds} rounds (each mode once per round, order rotated); ingest: gateway only, SQLite FULL, {clients} clients, {seconds} s per mode and round after the warm-up; first delta: gateway and worker, SQLite FULL, dev model server (1 ms between chunks), {messages} sequential messages per mode and round (median of the rounds)"));
        Console.WriteLine();
        // Rounds, each mode once per round in a rotated order, so drift on a shared machine (other load, a growing
        // file system cache) falls on every mode alike; ingest results are merged, first-delta figures are the median
        // of the rounds'.
        var ingestRuns = modes.Select(_ => new List<IngestLoad.LoadResult>()).ToArray();
        var deltaRuns = modes.Select(_ => new List<LatencySummary>()).ToArray();
        await using var model = await DevModelServer.StartAsync(new DevModelServerOptions { ChunkDelay = TimeSpan.FromMilliseconds(1) });
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < modes.Length; k++)
            {
                var m = (k + round) % modes.Length;
                ingestRuns[m].Add(await IngestAsync(modes[m].Settings, clients, seconds));
                deltaRuns[m].Add(await FirstDeltaAsync(modes[m].Settings, model, messages));
            }
        }

        var ingest = modes.Select((mode, i) => (mode.Name, mode.Id, Result: IngestLoad.LoadResult.Merge(ingestRuns[i]))).ToList();
        var firstDelta = modes.Select((mode, i) => (mode.Name, mode.Id, Latency: Median(deltaRuns[i]))).ToList();

        Console.WriteLine();
        Console.WriteLine("| tracing | ingest requests/s | ingest p50 (ms) | ingest p99 (ms) | errors | throughput ratio to off | first delta p50 (ms) | first delta p99 (ms) | p50 ratio to off |");
        Console.WriteLine("|---|---:|---:|---:|---|---:|---:|---:|---:|");
        for (var i = 0; i < modes.Length; i++)
        {
            var (name, id, result) = ingest[i];
            var delta = firstDelta[i].Latency;
            var throughput = result.RequestsPerSecond / ingest[0].Result.RequestsPerSecond;
            var latency = delta.P50 / firstDelta[0].Latency.P50;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {result.RequestsPerSecond:F0} | {result.Latency.P50:F2} | {result.Latency.P99:F2} | {result.ErrorText} | {throughput:F3} | {delta.P50:F2} | {delta.P99:F2} | {latency:F3} |"));
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                Benchmark = "trace",
                Mode = id,
                Clients = clients,
                Seconds = seconds,
                Messages = messages,
                Rounds = rounds,
                IngestRequestsPerSecond = Math.Round(result.RequestsPerSecond, 1),
                IngestErrors = result.ErrorCount,
                ThroughputRatio = Math.Round(throughput, 4),
                FirstDeltaP50Ms = Math.Round(delta.P50, 3),
                FirstDeltaP99Ms = Math.Round(delta.P99, 3),
                FirstDeltaP50Ratio = Math.Round(latency, 4),
            }, JsonLine));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput cost: {(1 - ingest[1].Result.RequestsPerSecond / ingest[0].Result.RequestsPerSecond) * 100:F1} % at 10 % sampling (aim ≤ 5 %), {(1 - ingest[2].Result.RequestsPerSecond / ingest[0].Result.RequestsPerSecond) * 100:F1} % at 100 % (aim ≤ 15 %); the receiver took {receiver.Requests} exports, {receiver.Bytes / 1024.0:F0} KiB"));
        return 0;
    }

    private static async Task<IngestLoad.LoadResult> IngestAsync(Dictionary<string, string?> settings, int clients, double seconds)
    {
        var configuration = new Dictionary<string, string?>(settings)
        {
            ["Soma:Roles"] = "gateway",
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
        };
        await using var server = await BenchServer.StartAsync(configuration);
        using var client = server.CreateClient(clients);
        var sessions = await IngestLoad.CreateSessionsAsync(client);
        HttpRequestMessage Message(long n)
        {
            var content = new ByteArrayContent(IngestLoad.MessageBody);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return new HttpRequestMessage(HttpMethod.Post, sessions[n % sessions.Length]) { Content = content };
        }

        await IngestLoad.WarmUpAsync(client, clients, Message, HttpStatusCode.Accepted);
        return await IngestLoad.DriveAsync(client, clients, TimeSpan.FromSeconds(seconds), Message, HttpStatusCode.Accepted);
    }

    private static async Task<LatencySummary> FirstDeltaAsync(Dictionary<string, string?> settings, DevModelServer model, int messages)
    {
        var configuration = new Dictionary<string, string?>(settings)
        {
            ["Soma:Roles"] = "gateway,worker",
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
            ["Soma:Models:Endpoints:dev:Endpoint"] = model.BaseAddress.ToString(),
            ["Soma:Models:Endpoints:dev:Model"] = "soma-dev",
        };
        await using var server = await BenchServer.StartAsync(configuration);
        var rows = await FirstDeltaLoad.MeasureAsync(server, messages);
        return rows.Single(r => r.Id == "first_delta").Latency;
    }

    private static LatencySummary Median(List<LatencySummary> runs)
    {
        static double Middle(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        }

        return new LatencySummary(runs.Sum(r => r.Count), Middle(runs.Select(r => r.P50)), Middle(runs.Select(r => r.P90)), Middle(runs.Select(r => r.P99)), runs.Max(r => r.Max));
    }

    private static Dictionary<string, string?> Exported(OtlpTraceReceiver receiver, double ratio) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio",
        ["OTEL_TRACES_SAMPLER_ARG"] = ratio.ToString(CultureInfo.InvariantCulture),
    };
}
