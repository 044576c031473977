using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Cache;
using Soma.Memory.Service;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// Recall latency at scale (`dotnet run -c Release -- memory-recall [memories]`): one namespace of a tenant filled with
/// that many memories (about 300 bytes of text each, words drawn from a skewed vocabulary as chat text is) straight
/// through the store's upsert, then recalls one at a time through <see cref="MemoryRecaller"/> of the real server
/// (embedded memory service on SQLite FULL): cold — every query distinct, so the cache misses and the recall runs
/// <see cref="MemoryService"/>'s full-text search — and cached — a set of queries asked again. First with the
/// in-process cache, then with Redis (a real <c>redis-server</c>) over the same SQLite file. The baseline is the memory
/// service's own search (<see cref="MemoryService.RecallAsync"/> without the recaller), in the same run.
/// </summary>
public static class MemoryRecallLoad
{
    private const string Tenant = "bench";
    private const string Namespace = "agent";
    private const int FillBatch = 1000;
    private const int ColdQueries = 1000;
    private const int CachedQueries = 100;
    private const int CachedRecalls = 20_000;

    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly string[] Common =
    [
        "the", "a", "to", "and", "of", "we", "you", "i", "it", "is", "that", "for", "on", "with", "what", "about", "can",
        "please", "did", "should", "will", "this", "from", "last", "week", "yesterday", "today", "again", "still", "need",
        "could", "would", "team", "plan", "issue", "fix", "release", "meeting", "notes", "list", "open", "question",
    ];

    private static readonly string[] Syllables =
    [
        "ka", "lo", "mi", "ra", "ten", "vor", "sul", "pe", "dri", "gan", "bel", "tos", "nu", "fer", "quin", "zal",
        "mor", "ith", "cal", "dex", "pra", "lun", "sor", "vek",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var memories = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        using var data = new TempDirectory("soma-bench-recall");
        var sqlite = new Dictionary<string, string?>
        {
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
            ["Soma:Store:Sqlite:Path"] = Path.Combine(data.Path, "recall.db"),
            ["Soma:Roles"] = "gateway",
        };
        var vocabulary = Vocabulary();
        var random = new Random(42);

        var rows = new List<(string Provider, string Id, string Measure, LatencySummary Latency)>();
        double fillSeconds;
        await using (var server = await BenchServer.StartAsync(sqlite))
        {
            fillSeconds = await FillAsync(server, memories, vocabulary, random);
            var service = server.Services.GetRequiredService<MemoryService>();
            await MeasureAsync((q, ct) => service.RecallAsync(q, ct), Queries(vocabulary, random, 100));
            rows.Add(("none", "service", "memory service search, no recaller (baseline)", await MeasureAsync((q, ct) => service.RecallAsync(q, ct), Queries(vocabulary, random, ColdQueries))));
            rows.AddRange(await RecallerRowsAsync(server, "in-process", vocabulary, random));
        }

        await using (var redis = await RedisServer.StartNewAsync())
        await using (var server = await BenchServer.StartAsync(new Dictionary<string, string?>(sqlite)
        {
            ["Soma:Cache:Provider"] = "redis",
            ["Soma:Cache:RedisConfiguration"] = redis.Configuration,
        }))
        {
            rows.AddRange(await RecallerRowsAsync(server, "Redis", vocabulary, random));
        }

        var baseline = rows[0].Latency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{memories:N0} memories in one namespace (filled in {fillSeconds:F1} s, {memories / fillSeconds:N0}/s through the store's upsert); SQLite FULL; one recall at a time, top_k 10; {ColdQueries:N0} distinct cold queries, {CachedRecalls:N0} cached recalls of {CachedQueries} queries"));
        Console.WriteLine();
        Console.WriteLine("| cache | recall | count | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | p99 ratio to the service's search |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (provider, _, measure, latency) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {provider} | {measure} | {latency.Count:N0} | {latency.P50:F3} | {latency.P90:F3} | {latency.P99:F3} | {latency.Max:F2} | {latency.P99 / baseline.P99:F3} |"));
        }

        Console.WriteLine();
        foreach (var (provider, id, _, latency) in rows)
        {
            Console.WriteLine(JsonSerializer.Serialize(
                new
                {
                    Benchmark = "memory-recall",
                    Engine = "sqlite-full",
                    Memories = memories,
                    Cache = provider,
                    Recall = id,
                    latency.Count,
                    P50Ms = Math.Round(latency.P50, 4),
                    P90Ms = Math.Round(latency.P90, 4),
                    P99Ms = Math.Round(latency.P99, 4),
                    MaxMs = Math.Round(latency.Max, 3),
                },
                JsonLine));
        }

        return 0;
    }

    private static async Task<List<(string, string, string, LatencySummary)>> RecallerRowsAsync(BenchServer server, string provider, string[] vocabulary, Random random)
    {
        var recaller = server.Services.GetRequiredService<MemoryRecaller>();
        Task<RecallResponse> Recall(RecallRequest q, CancellationToken ct) => recaller.RecallAsync(q, ct);

        // Warm-up: the JIT, the connection pools, the SQLite page cache.
        await MeasureAsync(Recall, Queries(vocabulary, random, 100));
        var cold = await MeasureAsync(Recall, Queries(vocabulary, random, ColdQueries), expectCached: false);
        var repeated = Queries(vocabulary, random, CachedQueries);
        await MeasureAsync(Recall, repeated);
        var cached = await MeasureAsync(Recall, [.. Enumerable.Range(0, CachedRecalls).Select(i => repeated[i % repeated.Length])], expectCached: true);
        return
        [
            (provider, "cold", "cold: distinct queries, cache miss → memory service → SQLite", cold),
            (provider, "cached", "cached: the same queries again", cached),
        ];
    }

    private static async Task<LatencySummary> MeasureAsync(Func<RecallRequest, CancellationToken, Task<RecallResponse>> recall, RecallRequest[] queries, bool? expectCached = null)
    {
        var latencies = new List<double>(queries.Length);
        var wrong = 0;
        foreach (var query in queries)
        {
            var started = Stopwatch.GetTimestamp();
            var response = await recall(query, CancellationToken.None);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (expectCached is { } expected && response.Cached != expected)
            {
                wrong++;
            }
        }

        if (wrong > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warning: {wrong} of {queries.Length} recalls were {(expectCached == true ? "not cached" : "cached")}"));
        }

        return LatencySummary.Of(latencies);
    }

    private static async Task<double> FillAsync(BenchServer server, int count, string[] vocabulary, Random random)
    {
        var store = server.Services.GetRequiredService<IMemoryStore>();
        var sessions = Enumerable.Range(0, 500).Select(_ => Guid.CreateVersion7()).ToArray();
        var started = Stopwatch.GetTimestamp();
        for (var done = 0; done < count; done += FillBatch)
        {
            var items = new List<RememberItem>(FillBatch);
            for (var i = done; i < Math.Min(count, done + FillBatch); i++)
            {
                var session = sessions[i % sessions.Length];
                var role = i % 2 == 0 ? "user" : "assistant";
                var value = JsonSerializer.SerializeToElement(new Dictionary<string, string>
                {
                    ["role"] = role,
                    ["text"] = Sentence(vocabulary, random, 300),
                    ["session_id"] = session.ToString(),
                });
                items.Add(new RememberItem($"{Tenant}/{session}/{Guid.CreateVersion7()}/{role}", value, [$"session:{session}", $"role:{role}"]));
            }

            await store.UpsertAsync(Tenant, Namespace, items, DateTimeOffset.UtcNow);
        }

        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    // A query is 2–8 words, as a short chat message's.
    private static RecallRequest[] Queries(string[] vocabulary, Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new RecallRequest(Sentence(vocabulary, random, random.Next(2, 9) * 6), Tenant, Namespace))];

    // Words by a skewed (Zipf-like) law: common words often, the vocabulary's long tail rarely.
    private static string Sentence(string[] vocabulary, Random random, int length)
    {
        var text = new StringBuilder(length + 16);
        while (text.Length < length)
        {
            var word = random.NextDouble() < 0.35
                ? Common[random.Next(Common.Length)]
                : vocabulary[(int)(vocabulary.Length * Math.Pow(random.NextDouble(), 3))];
            text.Append(text.Length == 0 ? "" : " ").Append(word);
        }

        return text.ToString();
    }

    private static string[] Vocabulary()
    {
        var words = new List<string>();
        foreach (var a in Syllables)
        {
            foreach (var b in Syllables)
            {
                foreach (var c in Syllables.Take(12))
                {
                    words.Add(a + b + c);
                }
            }
        }

        return [.. words];
    }
}
