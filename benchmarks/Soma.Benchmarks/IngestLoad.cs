using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// The durable message ingest driver (`dotnet run -c Release -- ingest [seconds] [clients] [sqlite-full|postgres]`): the real server with the
/// gateway role only (no worker, so nothing but the ingest runs), on SQLite FULL and on PostgreSQL (fsync on). Concurrent
/// clients POST messages round-robin over 64 sessions; every 202 is a committed transaction (message, accepted
/// <c>chat.turn</c> run, outbox row and session event). The baseline is <c>GET /healthz</c> of the same server with the
/// same client, clients and token, so the result is also a ratio.
/// </summary>
public static class IngestLoad
{
    private const int Sessions = 64;
    private const int SettledMethodsPerSecond = 10;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxWarmUp = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FsyncSample = TimeSpan.FromSeconds(2);

    // About the size of a short chat message.
    internal static readonly byte[] MessageBody = Encoding.UTF8.GetBytes(
        """{"content":"Could you summarise what we agreed on yesterday about the release, and list the open questions?"}""");

    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<int> RunAsync(string[] args)
    {
        // --wrk: the measured load comes from wrk (a load generator in C, in its own process) instead of the in-process lanes.
        var useWrk = args.Contains("--wrk", StringComparer.Ordinal);
        args = [.. args.Where(a => a != "--wrk")];
        var wrk = useWrk ? WrkLoad.Find() : null;
        if (useWrk && wrk is null)
        {
            Console.Error.WriteLine("ingest --wrk: no wrk on the PATH (Debian: apt-get install wrk)");
            return 2;
        }

        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
        var only = args.Length > 3 ? args[3] : null;
        if (only is not null and not ("sqlite-full" or "postgres"))
        {
            Console.Error.WriteLine($"ingest: unknown engine '{only}': use sqlite-full or postgres");
            return 2;
        }

        var duration = TimeSpan.FromSeconds(seconds);

        // PostgreSQL is started only when its row is measured.
        await using var postgres = only == "sqlite-full" ? null : await PostgresServer.StartAsync();
        var engines = new (string Name, string Id, Func<Task<Dictionary<string, string?>>> Configure)[]
        {
            ("SQLite FULL", "sqlite-full", () => Task.FromResult(new Dictionary<string, string?>
            {
                ["Soma:Store:Provider"] = "sqlite",
                ["Soma:Store:Sqlite:Synchronous"] = "Full",
            })),
            ("PostgreSQL", "postgres", async () => new Dictionary<string, string?>
            {
                ["Soma:Store:Provider"] = "postgres",
                ["Soma:Store:Postgres:ConnectionString"] = await postgres!.CreateDatabaseAsync(),
            }),
        };

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients} clients ({(wrk is null ? "in this process" : "wrk, one thread, in its own process")}), {seconds} s per row after a warm-up of at least {WarmUp.TotalSeconds:F0} s (on until the JIT settles), {Sessions} sessions"));
        Console.WriteLine();
        Console.WriteLine("| engine | request | requests/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | errors | ratio to /healthz | warm-up (s) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---|---:|---:|");
        var lines = new List<string>();
        var fsyncLines = new List<string>();
        foreach (var (name, id, configure) in engines.Where(e => only is null || e.Id == only))
        {
            var configuration = await configure();
            configuration["Soma:Roles"] = "gateway";
            await using var server = await BenchServer.StartAsync(configuration);
            using var client = server.CreateClient(clients);
            var sessions = await CreateSessionsAsync(client);
            var healthz = new Uri(server.BaseAddress, "/healthz");

            HttpRequestMessage Trivial(long n) => new(HttpMethod.Get, healthz);
            HttpRequestMessage Message(long n)
            {
                var content = new ByteArrayContent(MessageBody);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                return new HttpRequestMessage(HttpMethod.Post, sessions[n % sessions.Length]) { Content = content };
            }

            var authorization = client.DefaultRequestHeaders.Authorization!.ToString();
            var paths = sessions.Select(s => s.PathAndQuery).ToArray();
            Task<LoadResult> Drive(bool messages) => (wrk, messages) switch
            {
                (null, false) => DriveAsync(client, clients, duration, Trivial, HttpStatusCode.OK),
                (null, true) => DriveAsync(client, clients, duration, Message, HttpStatusCode.Accepted),
                (_, false) => WrkLoad.DriveAsync(wrk, server.BaseAddress, authorization, ["/healthz"], "GET", null, clients, duration),
                (_, true) => WrkLoad.DriveAsync(wrk, server.BaseAddress, authorization, paths, "POST", MessageBody, clients, duration),
            };

            var warmTrivial = await WarmUpAsync(client, clients, Trivial, HttpStatusCode.OK);
            var baseline = await Drive(messages: false);
            var warmIngest = await WarmUpAsync(client, clients, Message, HttpStatusCode.Accepted);
            var fsyncBefore = FsyncRate.Sample(FsyncSample);

            // On standard error, so a profiler can start with the measured row (e.g. perf record --control).
            Console.Error.WriteLine($"ingest: {id}: measuring POST /v1/sessions/{{id}}/messages for {seconds} s");
            var ingest = await Drive(messages: true);
            var fsync = (fsyncBefore + FsyncRate.Sample(FsyncSample)) / 2;
            var ratio = ingest.RequestsPerSecond / baseline.RequestsPerSecond;

            Console.WriteLine(Row(name, "GET /healthz (baseline)", baseline, 1, warmTrivial));
            Console.WriteLine(Row(name, "POST /v1/sessions/{id}/messages", ingest, ratio, warmIngest));
            fsyncLines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{name}: the machine's fsynced commits/s beside the row (SQLite WAL FULL, one row each, 2 s before and after) {fsync:F0}; messages/s ÷ fsynced commits/s {ingest.RequestsPerSecond / fsync:F2}"));
            lines.Add(JsonSerializer.Serialize(
                new
                {
                    Benchmark = "ingest",
                    Engine = id,
                    Clients = clients,
                    LoadGenerator = wrk is null ? "in-process" : "wrk",
                    Sessions,
                    Seconds = seconds,
                    Accepted = ingest.Ok,
                    RequestsPerSecond = Math.Round(ingest.RequestsPerSecond, 1),
                    Errors = ingest.ErrorCount,
                    P50Ms = Math.Round(ingest.Latency.P50, 3),
                    P90Ms = Math.Round(ingest.Latency.P90, 3),
                    P99Ms = Math.Round(ingest.Latency.P99, 3),
                    MaxMs = Math.Round(ingest.Latency.Max, 3),
                    BaselineRequestsPerSecond = Math.Round(baseline.RequestsPerSecond, 1),
                    BaselineErrors = baseline.ErrorCount,
                    BaselineP50Ms = Math.Round(baseline.Latency.P50, 3),
                    BaselineP99Ms = Math.Round(baseline.Latency.P99, 3),
                    Ratio = Math.Round(ratio, 4),
                    FsyncedCommitsPerSecond = Math.Round(fsync, 1),
                    MessagesPerFsync = Math.Round(ingest.RequestsPerSecond / fsync, 3),
                    WarmUpSeconds = Math.Round(warmIngest.TotalSeconds, 1),
                    BaselineWarmUpSeconds = Math.Round(warmTrivial.TotalSeconds, 1),
                },
                JsonLine));
        }

        Console.WriteLine();
        foreach (var line in fsyncLines)
        {
            Console.WriteLine(line);
        }

        Console.WriteLine();
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    /// <summary>
    /// Load for at least <see cref="WarmUp"/>, then on until the JIT has settled: with tiered compilation a method is
    /// compiled again (instrumented, then optimized) well after its first calls, and on a small machine the background
    /// compiler took a third of the CPU for more than 10 s of this load after a 2 s warm-up.
    /// </summary>
    internal static async Task<TimeSpan> WarmUpAsync(HttpClient client, int clients, Func<long, HttpRequestMessage> request, HttpStatusCode expected)
    {
        var started = Stopwatch.GetTimestamp();
        await DriveAsync(client, clients, WarmUp, request, expected);
        await JitSettling.RepeatUntilSettledAsync(
            () => DriveAsync(client, clients, TimeSpan.FromSeconds(1), request, expected),
            SettledMethodsPerSecond,
            () => Stopwatch.GetElapsedTime(started) < MaxWarmUp);

        return Stopwatch.GetElapsedTime(started);
    }

    internal static async Task<Uri[]> CreateSessionsAsync(HttpClient client)
    {
        var sessions = new Uri[Sessions];
        for (var i = 0; i < Sessions; i++)
        {
            using var created = await client.PostAsJsonAsync("/v1/sessions", new { title = $"bench {i}" });
            created.EnsureSuccessStatusCode();
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            sessions[i] = new Uri(client.BaseAddress!, $"/v1/sessions/{id}/messages");
        }

        return sessions;
    }

    /// <summary>
    /// <paramref name="clients"/> lanes over the one client, each sending its next request when the last one's response
    /// has been read, until <paramref name="duration"/> is up. Only responses with <paramref name="expected"/> count and
    /// have their latency (send to response body read) kept; anything else is an error, counted by status or failure.
    /// </summary>
    internal static async Task<LoadResult> DriveAsync(HttpClient client, int clients, TimeSpan duration, Func<long, HttpRequestMessage> request, HttpStatusCode expected)
    {
        var errors = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long next = 0;
        var started = Stopwatch.GetTimestamp();
        var lanes = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(16 * 1024);
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                using var message = request(Interlocked.Increment(ref next));
                var sent = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    using var response = await client.SendAsync(message);
                    var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                    error = response.StatusCode == expected ? null : ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                    if (error is null)
                    {
                        latencies.Add(elapsed);
                    }
                }
                catch (HttpRequestException ex)
                {
                    error = ex.HttpRequestError.ToString();
                }
                catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException)
                {
                    error = "timeout";
                }

                if (error is not null)
                {
                    errors.AddOrUpdate(error, 1, (_, count) => count + 1);
                }
            }

            return latencies;
        })));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = lanes.SelectMany(l => l).ToList();
        return new LoadResult(all.Count, seconds, LatencySummary.Of(all), errors.ToDictionary(StringComparer.Ordinal)) { Samples = all };
    }

    private static string Row(string engine, string request, LoadResult result, double ratio, TimeSpan warmUp) => string.Create(CultureInfo.InvariantCulture,
        $"| {engine} | {request} | {result.RequestsPerSecond:F0} | {result.Latency.P50:F2} | {result.Latency.P90:F2} | {result.Latency.P99:F2} | {result.Latency.Max:F2} | {result.ErrorText} | {ratio:F3} | {warmUp.TotalSeconds:F0} |");

    internal sealed record LoadResult(long Ok, double Seconds, LatencySummary Latency, IReadOnlyDictionary<string, long> Errors)
    {
        /// <summary>Every kept latency, in milliseconds, so results of several runs can be merged.</summary>
        public IReadOnlyList<double> Samples { get; init; } = [];

        public static LoadResult Merge(IReadOnlyList<LoadResult> results) =>
            new(results.Sum(r => r.Ok), results.Sum(r => r.Seconds), LatencySummary.Of(results.SelectMany(r => r.Samples)),
                results.SelectMany(r => r.Errors).GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(e => e.Value), StringComparer.Ordinal))
            {
                Samples = [.. results.SelectMany(r => r.Samples)],
            };

        public double RequestsPerSecond => Ok / Seconds;

        public long ErrorCount => Errors.Values.Sum();

        public string ErrorText => Errors.Count == 0
            ? "0"
            : string.Join(", ", Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Value} × {e.Key}")));
    }
}
