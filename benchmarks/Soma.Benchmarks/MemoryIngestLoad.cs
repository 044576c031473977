using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Client;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// Message ingest with the memory service up and with it down and the breaker forced open
/// (`dotnet run -c Release -- memory-ingest [seconds] [clients]`). A memory service (<c>Soma:Roles=memory</c>) and, one
/// after the other, two gateways with the sync role (<c>Soma:Roles=gateway,sync</c>), all on SQLite FULL in this
/// process: "up" points its memory client at the service, "down" at a closed loopback port, and the driver then calls
/// through the resilient client until its breaker is open (break time one hour, so it stays open) and the health
/// monitor says down. Each POST commits the message with its memory write in the outbox; up, the sync worker drains
/// them while the load runs; down, they wait. Latency as the <c>ingest</c> command measures it.
/// </summary>
public static class MemoryIngestLoad
{
    private static readonly TimeSpan Slice = TimeSpan.FromSeconds(1);

    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
        var full = new Dictionary<string, string?>
        {
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
            ["Soma:Roles"] = "gateway,sync",
            // Above any backlog a run of this length builds, so every message is accepted and timed (the cap's 503 is
            // covered by the tests).
            ["Soma:Memory:OutboxCapPerTenant"] = "10000000",
            ["Soma:Memory:Client:BreakerBreakSeconds"] = "3600",
        };

        await using var memory = await BenchServer.StartAsync(new Dictionary<string, string?>(full) { ["Soma:Roles"] = "memory" });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients} clients, {seconds} s per row in alternating slices of {Slice.TotalSeconds:F0} s after the `ingest` warm-up; gateway+sync on SQLite FULL; memory service over loopback HTTP (in-process Kestrel, `--roles memory`, SQLite FULL)"));
        Console.WriteLine();

        // Both gateways run side by side and the load alternates between them in slices of one second, so drift in
        // the machine's other load (this machine is shared) falls on both alike.
        var gateways = new List<Target>();
        List<Row> rows;
        try
        {
            foreach (var down in new[] { false, true })
            {
                gateways.Add(await StartTargetAsync(memory, full, down, clients));
            }

            foreach (var target in gateways)
            {
                target.WarmUp = await IngestLoad.WarmUpAsync(target.Http, clients, target.Message, HttpStatusCode.Accepted);
            }

            foreach (var target in gateways)
            {
                target.Before = await SnapshotAsync(target.Server);
            }

            var slices = Math.Max(1, (int)Math.Round(seconds / Slice.TotalSeconds));
            for (var i = 0; i < slices; i++)
            {
                foreach (var target in gateways)
                {
                    target.Results.Add(await IngestLoad.DriveAsync(target.Http, clients, Slice, target.Message, HttpStatusCode.Accepted));
                }
            }

            foreach (var target in gateways)
            {
                target.After = await SnapshotAsync(target.Server);
            }

            rows = [.. gateways.Select(t => new Row(t.Name, t.Mode, t.Breaker, IngestLoad.LoadResult.Merge(t.Results), t.Before!, t.After!, t.WarmUp))];
        }
        finally
        {
            foreach (var target in gateways)
            {
                await target.DisposeAsync();
            }
        }

        var up = rows[0];
        var downRow = rows[1];
        var p99Ratio = downRow.Result.Latency.P99 / up.Result.Latency.P99;
        Console.WriteLine("| memory | mode / breaker | requests/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | errors | accepted | pending memory rows before → after | working set before → after (MB) | managed heap before → after (MB) | warm-up (s) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---|---:|---|---|---|---:|");
        foreach (var row in rows)
        {
            var r = row.Result;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Name} | {row.Mode} / {row.Breaker} | {r.RequestsPerSecond:F0} | {r.Latency.P50:F2} | {r.Latency.P90:F2} | {r.Latency.P99:F2} | {r.Latency.Max:F2} | {r.ErrorText} | {r.Ok:N0} | {row.Before.Pending:N0} → {row.After.Pending:N0} | {Mb(row.Before.WorkingSet):F0} → {Mb(row.After.WorkingSet):F0} | {Mb(row.Before.Heap):F0} → {Mb(row.After.Heap):F0} | {row.WarmUp.TotalSeconds:F0} |"));
        }

        var growth = downRow.After.Pending - downRow.Before.Pending;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"p99(down) / p99(up) = {p99Ratio:F2} (aim ≤ 1.5); p50(down) / p50(up) = {downRow.Result.Latency.P50 / up.Result.Latency.P50:F2}; down: pending grew by {growth:N0} for {downRow.Result.Ok:N0} accepted messages ({(growth == downRow.Result.Ok ? "equal" : "NOT equal")}), nothing delivered while the breaker was open"));
        Console.WriteLine();
        foreach (var row in rows)
        {
            Console.WriteLine(JsonSerializer.Serialize(
                new
                {
                    Benchmark = "memory-ingest",
                    Engine = "sqlite-full",
                    Memory = row.Name,
                    Mode = row.Mode.ToString(),
                    Breaker = row.Breaker.ToString(),
                    Clients = clients,
                    Seconds = seconds,
                    Accepted = row.Result.Ok,
                    RequestsPerSecond = Math.Round(row.Result.RequestsPerSecond, 1),
                    Errors = row.Result.ErrorCount,
                    P50Ms = Math.Round(row.Result.Latency.P50, 3),
                    P99Ms = Math.Round(row.Result.Latency.P99, 3),
                    MaxMs = Math.Round(row.Result.Latency.Max, 3),
                    PendingBefore = row.Before.Pending,
                    PendingAfter = row.After.Pending,
                    WorkingSetBeforeMb = Math.Round(Mb(row.Before.WorkingSet), 1),
                    WorkingSetAfterMb = Math.Round(Mb(row.After.WorkingSet), 1),
                    HeapBeforeMb = Math.Round(Mb(row.Before.Heap), 1),
                    HeapAfterMb = Math.Round(Mb(row.After.Heap), 1),
                    P99RatioDownToUp = Math.Round(p99Ratio, 3),
                },
                JsonLine));
        }

        return 0;
    }

    private static async Task<Target> StartTargetAsync(BenchServer memory, Dictionary<string, string?> full, bool down, int clients)
    {
        var configuration = new Dictionary<string, string?>(full)
        {
            ["Soma:Memory:Client:BaseUrl"] = down ? $"http://127.0.0.1:{FreePort.Next()}/" : memory.BaseAddress.ToString(),
            ["Soma:Memory:Client:ApiKey"] = memory.IssueToken("default", "sync", ["memory"]),
        };
        var server = await BenchServer.StartAsync(configuration);
        var monitor = server.Services.GetRequiredService<MemoryHealthMonitor>();
        var client = server.Services.GetRequiredService<ResilientMemoryBackend>();
        using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            if (down)
            {
                await ForceBreakerOpenAsync(client, ready.Token);
            }

            await monitor.WaitForModeAsync(down ? MemoryMode.Down : MemoryMode.Normal, ready.Token);
        }

        var http = server.CreateClient(clients);
        var sessions = await IngestLoad.CreateSessionsAsync(http);
        return new Target(down ? "down, breaker open" : "up", server, http, sessions, monitor, client);
    }

    /// <summary>Calls through the resilient client (to the closed port) until its breaker opens.</summary>
    private static async Task ForceBreakerOpenAsync(ResilientMemoryBackend client, CancellationToken cancellationToken)
    {
        var probe = new RecallRequest("breaker", "bench", "agent");
        while (client.BreakerState != MemoryBreakerState.Open)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await client.RecallAsync(probe, cancellationToken);
            }
            catch (MemoryBackendException)
            {
                // Expected: nothing listens there.
            }
        }
    }

    private static async Task<Snapshot> SnapshotAsync(BenchServer server)
    {
        var pending = await MemoryDrainLoad.PendingAsync(server);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return new Snapshot(pending, process.WorkingSet64, GC.GetTotalMemory(forceFullCollection: false));
    }

    private static double Mb(long bytes) => bytes / (1024.0 * 1024.0);

    private sealed record Snapshot(long Pending, long WorkingSet, long Heap);

    private sealed class Target(string name, BenchServer server, HttpClient http, Uri[] sessions, MemoryHealthMonitor monitor, ResilientMemoryBackend client) : IAsyncDisposable
    {
        public string Name => name;

        public BenchServer Server => server;

        public HttpClient Http => http;

        public MemoryMode Mode => monitor.Mode;

        public MemoryBreakerState Breaker => client.BreakerState;

        public List<IngestLoad.LoadResult> Results { get; } = [];

        public TimeSpan WarmUp { get; set; }

        public Snapshot? Before { get; set; }

        public Snapshot? After { get; set; }

        public HttpRequestMessage Message(long n)
        {
            var content = new ByteArrayContent(IngestLoad.MessageBody);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return new HttpRequestMessage(HttpMethod.Post, sessions[n % sessions.Length]) { Content = content };
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await server.DisposeAsync();
        }
    }

    private sealed record Row(string Name, MemoryMode Mode, MemoryBreakerState Breaker, IngestLoad.LoadResult Result, Snapshot Before, Snapshot After, TimeSpan WarmUp);
}
