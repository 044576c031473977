using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Outbox;
using Soma.Core.Storage;
using Soma.Memory.Client;
using Soma.Memory.Sync;
using Soma.Memory.WriteThrough;

namespace Soma.Benchmarks;

/// <summary>
/// The memory drain driver (`dotnet run -c Release -- memory-drain [N]`): two real servers in this process, each on its
/// own SQLite file (<c>synchronous=FULL</c>) — a memory service (<c>Soma:Roles=memory</c>, as
/// <c>soma serve --roles memory</c>) and a gateway whose memory client points at it over loopback HTTP with a service
/// token. The gateway's outbox is filled with N memory writes (user and assistant messages of about 300 bytes), then
/// drained at concurrency 1 in claims of 25 through the real path: <see cref="MemoryDispatcher"/> →
/// <see cref="ResilientMemoryBackend"/> → <see cref="SomaBrainHttpBackend"/> → <c>POST /memory/remember/batch</c> →
/// the service's upsert → mark sent. The baseline is the disk: fsynced transactions of 25 bare rows on the same disk.
/// </summary>
public static class MemoryDrainLoad
{
    private const int Batch = 25;
    private const int Sessions = 200;
    private const int FillPerTransaction = 1000;
    private const string Tenant = "bench";
    private const int WarmUpWrites = 5_000;
    private const int SettledMethods = 100;
    private static readonly TimeSpan MaxWarmUp = TimeSpan.FromSeconds(90);

    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly string[] UserTexts =
    [
        "Could you summarise what we agreed on yesterday about the release, and list the open questions that still need an owner? I remember something about the migration window and the rollback plan, but not who signed off on it.",
        "I tried the new import again this morning and it still stops at about eighty percent with a timeout. The file is the same one I sent last week, roughly two hundred megabytes, exported from the old billing system.",
        "Please draft a short note to the team explaining why the Thursday deploy moves to Monday, keep it friendly, mention that QA found the cache invalidation issue and that the fix is already under review.",
    ];

    private static readonly string[] AssistantTexts =
    [
        "Yesterday you agreed to ship on the 14th with a two-hour migration window starting at 06:00 UTC. Open questions: who owns the rollback drill (not assigned), whether the reporting export is in scope, and the final go/no-go time.",
        "The import stalls because the parser holds the whole file in memory before validating rows. Splitting the export into files of about fifty megabytes should get it through today; I have also noted the timeout for the fix.",
        "Hi all, the Thursday deploy moves to Monday. QA caught a cache invalidation issue that could show stale prices after an update; the fix is in review now, and Monday gives us a clean day to verify it end to end. Thanks!",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var n = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;

        // `--embedder none`: the memory service without its embedder, to see the write path alone (as shipped, the
        // in-process model embeds every stored memory in the background, on the same cores).
        var embedder = args.SkipWhile(a => a != "--embedder").Skip(1).FirstOrDefault() ?? "InProcess";

        // `--mark-apart`: each pass marks its rows sent in a commit of its own (before 2026-12-04), instead of the sync
        // worker's way, the next claim marking them in its commit.
        var markApart = args.Contains("--mark-apart");
        var full = new Dictionary<string, string?>
        {
            ["Soma:Store:Provider"] = "sqlite",
            ["Soma:Store:Sqlite:Synchronous"] = "Full",
        };

        await using var memory = await BenchServer.StartAsync(new Dictionary<string, string?>(full) { ["Soma:Roles"] = "memory", ["Soma:Memory:Embeddings:Provider"] = embedder });
        await using var gateway = await BenchServer.StartAsync(new Dictionary<string, string?>(full)
        {
            // No sync role: this driver is the only one delivering, at concurrency 1.
            ["Soma:Roles"] = "gateway",
            ["Soma:Memory:Client:BaseUrl"] = memory.BaseAddress.ToString(),
            ["Soma:Memory:Client:ApiKey"] = memory.IssueToken("default", "sync", ["memory"]),
        });
        var dispatcher = gateway.Services.GetRequiredService<MemoryDispatcher>();
        var monitor = gateway.Services.GetRequiredService<MemoryHealthMonitor>();
        using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await monitor.WaitForModeAsync(MemoryMode.Normal, ready.Token);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{n:N0} memory writes over {Sessions} sessions, claims of {Batch}, concurrency 1; memory service over loopback HTTP (in-process Kestrel, `--roles memory`), both stores SQLite synchronous=FULL"));
        Console.WriteLine();

        var warmUp = await WarmUpAsync(gateway, dispatcher, markApart);

        var baseline = BareInserts(Path.Combine(memory.DataDirectory, "bare.db"), n);
        await FillAsync(gateway, n, "run");
        var compiledBefore = JitInfo.GetCompiledMethodCount();
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var drain = await DrainAsync(gateway, dispatcher, markApart);
        process.Refresh();
        var drainCpu = process.TotalProcessorTime - cpuBefore;
        var compiledDuring = JitInfo.GetCompiledMethodCount() - compiledBefore;
        var stored = CountMemories(memory.DataDirectory);
        var pending = await PendingAsync(gateway);
        var ratio = drain.MemoriesPerSecond / baseline.RowsPerSecond;
        await FillAsync(gateway, Math.Min(n, 5_000), "phases");
        var phases = await PhasesAsync(gateway, memory, markApart);

        Console.WriteLine("| measure | rows or memories | seconds | per second | batches/s | ratio to bare inserts |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| bare SQLite insert, 25 rows per fsynced transaction (baseline) | {baseline.Rows:N0} | {baseline.Seconds:F2} | {baseline.RowsPerSecond:N0} rows/s | {baseline.RowsPerSecond / Batch:N0} tx/s | 1.000 |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| memory drain: outbox → dispatcher → HTTP → service → {(markApart ? "mark sent" : "marked by the next claim")} | {drain.Sent:N0} | {drain.Seconds:F2} | {drain.MemoriesPerSecond:N0} memories/s | {drain.BatchesPerSecond:N0} | {ratio:F3} |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pass latency: p50 {drain.Pass.P50:F2} ms, p90 {drain.Pass.P90:F2} ms, p99 {drain.Pass.P99:F2} ms, max {drain.Pass.Max:F2} ms; transient errors {drain.Transient}; memories in the service {stored:N0} (warm-up and run); pending memory rows left {pending}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"process CPU over the drain: {drainCpu.TotalSeconds:F2} s in {drain.Seconds:F2} s ({drainCpu.TotalMilliseconds / Math.Max(1, drain.Batches):F2} ms per pass, both servers)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"warm-up: {warmUp.Writes:N0} writes drained in {warmUp.Rounds} rounds, {warmUp.Elapsed.TotalSeconds:F0} s{(warmUp.Settled ? "" : " (stopped at the limit before the JIT settled)")}; methods compiled during the measured drain: {compiledDuring:N0}"));
        Console.WriteLine();
        Console.WriteLine("Where a pass's time goes (the same steps as the dispatcher, timed one by one over a further outbox of 5,000):");
        Console.WriteLine();
        Console.WriteLine("| step | mean per pass (ms) | share |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (step, ms) in phases)
        {
            var share = step.StartsWith('(') ? "" : (ms / phases[^1].Ms).ToString("P0", CultureInfo.InvariantCulture);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {step} | {ms:F2} | {share} |"));
        }

        Console.WriteLine();
        Console.WriteLine(JsonSerializer.Serialize(
            new
            {
                Benchmark = "memory-drain",
                Engine = "sqlite-full",
                Embedder = embedder.ToLowerInvariant(),
                Writes = n,
                Batch,
                Sent = drain.Sent,
                Batches = drain.Batches,
                Seconds = Math.Round(drain.Seconds, 3),
                MemoriesPerSecond = Math.Round(drain.MemoriesPerSecond, 1),
                BatchesPerSecond = Math.Round(drain.BatchesPerSecond, 1),
                PassP50Ms = Math.Round(drain.Pass.P50, 3),
                PassP99Ms = Math.Round(drain.Pass.P99, 3),
                TransientErrors = drain.Transient,
                StoredMemories = stored,
                PendingLeft = pending,
                BaselineRowsPerSecond = Math.Round(baseline.RowsPerSecond, 1),
                CpuMsPerPass = Math.Round(drainCpu.TotalMilliseconds / Math.Max(1, drain.Batches), 3),
                WarmUpSeconds = Math.Round(warmUp.Elapsed.TotalSeconds, 1),
                WarmUpSettled = warmUp.Settled,
                MethodsCompiledDuringDrain = compiledDuring,
                Ratio = Math.Round(ratio, 4),
            },
            JsonLine));
        return pending == 0 ? 0 : 1;
    }

    /// <summary>Appends <paramref name="count"/> memory writes through <see cref="MemoryWriteThrough"/>, as the gateway and the worker do (alternating user and assistant, the answer linked inline to its question).</summary>
    internal static async Task FillAsync(BenchServer server, int count, string label)
    {
        var store = server.Services.GetRequiredService<IStore>();
        var writes = server.Services.GetRequiredService<MemoryWriteThrough>();
        var sessions = Enumerable.Range(0, Sessions).Select(_ => Guid.CreateVersion7()).ToArray();
        var done = 0;
        while (done < count)
        {
            await using var transaction = await store.BeginAsync();
            for (var i = 0; i < FillPerTransaction && done < count; i += 2)
            {
                var turn = done / 2;
                var session = sessions[turn % Sessions];
                var question = Guid.CreateVersion7();
                var text = $"[{label} {turn}] ";
                await writes.RememberMessageAsync(transaction, Tenant, session, question, "user", text + UserTexts[turn % UserTexts.Length]);
                done++;
                if (done < count)
                {
                    await writes.RememberMessageAsync(transaction, Tenant, session, Guid.CreateVersion7(), "assistant", text + AssistantTexts[turn % AssistantTexts.Length],
                        [new Soma.Core.Memory.MemoryLink(MemoryKeys.Answers, MemoryKeys.Message(Tenant, session, question, "user"))]);
                    done++;
                }
            }

            await transaction.CommitAsync();
        }
    }

    /// <summary>
    /// Rounds of <see cref="WarmUpWrites"/> writes filled and drained the same way until a round compiles fewer
    /// than <see cref="SettledMethods"/> methods, for at most <see cref="MaxWarmUp"/>. With tiered compilation the drain's
    /// code is compiled again (instrumented, then optimised) well after its first calls: after one round of 2,000 writes
    /// (the warm-up before 2026-12-06), the measured drain of 20,000 still compiled about 2,300 methods, over a second of
    /// compiler time on the same two cores.
    /// </summary>
    private static async Task<WarmUp> WarmUpAsync(BenchServer gateway, MemoryDispatcher dispatcher, bool markApart)
    {
        var started = Stopwatch.GetTimestamp();
        var filled = 0;
        var (rounds, settled) = await JitSettling.RepeatUntilSettledAsync(
            async () =>
            {
                await FillAsync(gateway, WarmUpWrites, $"warm-up {filled++}");
                await DrainAsync(gateway, dispatcher, markApart);
            },
            SettledMethods,
            () => Stopwatch.GetElapsedTime(started) < MaxWarmUp);
        return new WarmUp(rounds, rounds * WarmUpWrites, Stopwatch.GetElapsedTime(started), settled);
    }

    // The sync worker's loop at concurrency 1 without its waits: the relay over the dispatcher, each claim marking the
    // previous pass's rows sent (or, with --mark-apart, each pass marking its own in a commit of its own).
    private static async Task<DrainResult> DrainAsync(BenchServer gateway, MemoryDispatcher dispatcher, bool markApart)
    {
        var relay = gateway.Services.GetRequiredService<OutboxRelay>();
        var owner = $"bench-drain:{Guid.NewGuid():N}";
        var passes = new List<double>(4096);
        long sent = 0;
        var batches = 0;
        var transient = 0;
        IReadOnlyList<Guid> unacknowledged = [];
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var passStarted = Stopwatch.GetTimestamp();
            var pass = await relay.PassAsync(dispatcher.Route, dispatcher, owner, Batch, null, unacknowledged, deferAcknowledgement: !markApart, CancellationToken.None);
            unacknowledged = pass.Unacknowledged;
            if (pass.Claimed == 0)
            {
                break;
            }

            passes.Add(Stopwatch.GetElapsedTime(passStarted).TotalMilliseconds);
            sent += pass.Sent;
            batches++;
            if (pass.TransientError is not null)
            {
                transient++;
            }
        }

        return new DrainResult(sent, batches, transient, Stopwatch.GetElapsedTime(started).TotalSeconds, LatencySummary.Of(passes));
    }

    /// <summary>
    /// The dispatcher's steps timed one by one: claim, remember batch over HTTP (through the resilient client), mark
    /// sent; then the service's own upsert of as many fresh items of the same size called in-process (no HTTP).
    /// </summary>
    private static async Task<List<(string Step, double Ms)>> PhasesAsync(BenchServer gateway, BenchServer memory, bool markApart)
    {
        Guid[] previous = [];
        var outbox = gateway.Services.GetRequiredService<IOutbox>();
        var backend = gateway.Services.GetRequiredService<ResilientMemoryBackend>();
        var service = memory.Services.GetRequiredService<Soma.Memory.Service.MemoryService>();
        var owner = $"bench-phases:{Guid.NewGuid():N}";
        double claim = 0, remember = 0, mark = 0, upsert = 0;
        var passes = 0;
        var items = new List<Soma.Core.Memory.RememberBatchRequest>();
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var entries = await outbox.ClaimAsync(new OutboxClaimRequest(owner, Batch, TimeSpan.FromMinutes(1)) { Topics = [.. MemoryKeys.Topics], Acknowledged = previous });
            if (entries.Count == 0)
            {
                break;
            }

            claim += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            started = Stopwatch.GetTimestamp();
            var requests = entries.Select(e => JsonSerializer.Deserialize(e.Message.Payload, Soma.Memory.Protocol.MemoryJson.Default.RememberRequest)!).ToList();
            var batch = new Soma.Core.Memory.RememberBatchRequest(requests[0].Tenant, requests[0].Namespace,
                [.. requests.Select(r => new Soma.Core.Memory.RememberItem(r.Key, r.Value, r.Tags, r.Links, r.TraceId))]);
            await backend.RememberBatchAsync(batch);
            remember += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (markApart)
            {
                started = Stopwatch.GetTimestamp();
                await outbox.MarkSentAsync(owner, [.. entries.Select(e => e.Message.Id)]);
                mark += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            else
            {
                previous = [.. entries.Select(e => e.Message.Id)];
            }

            passes++;
            items.Add(batch with { Items = [.. batch.Items.Select(i => i with { Key = i.Key + "/direct" })] });
        }

        // The process's CPU over the same loop too: on a shared machine the wall time also counts the waits for a core, and
        // the CPU time is the steadier figure to compare two builds by (with `--embedder none` nothing else runs meanwhile).
        using var process = Process.GetCurrentProcess();
        var cpuStarted = process.TotalProcessorTime;
        foreach (var batch in items)
        {
            var started = Stopwatch.GetTimestamp();
            await service.RememberBatchAsync(batch);
            upsert += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        process.Refresh();
        var upsertCpu = (process.TotalProcessorTime - cpuStarted).TotalMilliseconds;

        passes = Math.Max(passes, 1);
        return
        [
            (markApart ? "claim 25 rows (one fsynced transaction)" : "mark the previous 25 rows sent and claim 25 (one fsynced transaction)", claim / passes),
            ("remember batch over HTTP, through the resilient client", remember / passes),
            ("(the service's upsert alone, in-process, timed separately)", upsert / passes),
            ("(the same upserts: CPU time of the process)", upsertCpu / passes),
            (markApart ? "mark 25 rows sent (one fsynced transaction)" : "(no commit of its own: marked by the next claim)", mark / passes),
            ("total", (claim + remember + mark) / passes),
        ];
    }

    /// <summary>The disk's own pace: <paramref name="rows"/> rows of about the same size, 25 per fsynced transaction, into a bare table.</summary>
    internal static BareResult BareInserts(string path, int rows)
    {
        var payload = new string('x', 300);
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE IF NOT EXISTS raw (id TEXT PRIMARY KEY, payload TEXT NOT NULL)";
            setup.ExecuteNonQuery();
        }

        var started = Stopwatch.GetTimestamp();
        for (var done = 0; done < rows; done += Batch)
        {
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO raw (id, payload) VALUES ($id, $payload)";
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            insert.Parameters.AddWithValue("$payload", payload);
            for (var i = 0; i < Batch; i++)
            {
                id.Value = Guid.CreateVersion7().ToString();
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        return new BareResult(rows, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static long CountMemories(string dataDirectory)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "soma.db")};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM memories";
        return (long)count.ExecuteScalar()!;
    }

    internal static async Task<long> PendingAsync(BenchServer server)
    {
        var depth = await server.Services.GetRequiredService<IOutbox>().GetDepthAsync(MemoryKeys.Topics);
        return depth.Where(d => d.TenantId == Tenant).Sum(d => d.Pending);
    }

    internal sealed record BareResult(int Rows, double Seconds)
    {
        public double RowsPerSecond => Rows / Seconds;
    }

    private sealed record WarmUp(int Rounds, int Writes, TimeSpan Elapsed, bool Settled);

    private sealed record DrainResult(long Sent, int Batches, int Transient, double Seconds, LatencySummary Pass)
    {
        public double MemoriesPerSecond => Sent / Seconds;

        public double BatchesPerSecond => Batches / Seconds;
    }
}
