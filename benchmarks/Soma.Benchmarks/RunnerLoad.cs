using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Soma.Contracts.Identity;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Runs;
using Soma.Orchestration.Workflows;
using Soma.Storage.Sqlite;
using Soma.Testing;
using Soma.Testing.Engines;

namespace Soma.Benchmarks;

/// <summary>
/// The durable-step load driver (`dotnet run -c Release -- runner`): a 10-step linear workflow of trivial steps, every
/// step result committed as a checkpoint, on SQLite FULL and NORMAL and on PostgreSQL (fsync on), and the same workflow
/// with batched durability on SQLite FULL (its results committed together at the end). Measures steps/s and per-step
/// latency (commit to commit, a commit's time shared by the steps it carried) for one run at a time in a loop, and for
/// 32 concurrent runs. With
/// <c>--slices</c> it stays up and measures one round per <c>round SECONDS</c> line on stdin (benchmarks/peers).
/// </summary>
public static class RunnerLoad
{
    private const int Steps = 10;
    private const string PerStep = "bench.linear", Batched = "bench.linear.batched";
    private static readonly TimeSpan WarmUpTotal = TimeSpan.FromSeconds(8);

    public static async Task<int> RunAsync(string[] args)
    {
        // `runner --slices`: stays up with its stores open and warm, and measures a round per line `round SECONDS` on
        // stdin (the table's rows, then a line `end`), so the peers benchmark can interleave it with warm peers.
        var slices = args.Contains("--slices");
        var seconds = args.Skip(1).Where((a, i) => args[i] != "--group-commit").FirstOrDefault(a => double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) is { } first
            ? double.Parse(first, CultureInfo.InvariantCulture)
            : 10;
        // `--group-commit N[,M…]`: a PostgreSQL row per value of Soma:Store:Postgres:GroupCommit (0: each commit alone)
        // instead of one row with the default, measured one after the other in the same round, to compare them.
        var groupCommits = args.SkipWhile(a => a != "--group-commit").Skip(1).FirstOrDefault()?.Split(',') ?? [];
        using var directory = new TempDirectory("soma-runner-bench");
        await using var postgres = await PostgresServer.StartAsync();
        var engines = new (string Name, Func<Task<(IStore Store, IAsyncDisposable Owner, Func<IStore, Ports> Ports)>> Open)[]
        {
            ("SQLite FULL", () => Sqlite(Path.Combine(directory.Path, "full.db"), SqliteSynchronous.Full)),
            ("SQLite NORMAL", () => Sqlite(Path.Combine(directory.Path, "normal.db"), SqliteSynchronous.Normal)),
            ("PostgreSQL", async () => PostgresPorts(await postgres.CreateDatabaseAsync(), null)),
            ("SQLite FULL batched", () => Sqlite(Path.Combine(directory.Path, "batched.db"), SqliteSynchronous.Full, Batched)),
        };
        if (groupCommits.Length > 0)
        {
            var at = Array.FindIndex(engines, e => e.Name == "PostgreSQL");
            engines = [.. engines[..at], .. groupCommits.Select(g => ($"PostgreSQL, group commit {g}",
                (Func<Task<(IStore, IAsyncDisposable, Func<IStore, Ports>)>>)(async () => PostgresPorts(await postgres.CreateDatabaseAsync(), g)))), .. engines[(at + 1)..]];
        }

        var modes = new[] { ("single run in a loop", 1), ("32 concurrent runs", 32) };
        if (args.Contains("--single"))
        {
            modes = [modes[0]];
        }

        // `--engine NAME` (repeatable): only these rows, e.g. to profile one of them.
        var only = args.Select((a, i) => (a, i)).Where(p => p.a == "--engine" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToHashSet(StringComparer.Ordinal);
        if (only.Count > 0)
        {
            engines = [.. engines.Where(e => only.Contains(e.Name) || only.Any(o => e.Name.StartsWith(o + ", ", StringComparison.Ordinal)))];
        }

        var opened = new List<(string Name, IAsyncDisposable Owner, Ports Ports)>();
        try
        {
            foreach (var (name, open) in engines)
            {
                var (store, owner, ports) = await open();
                opened.Add((name, owner, ports(store)));
                await store.MigrateAsync();
            }

            // `--compare-hand-off`: each engine again with runs accepted, then leased in a commit of their own (the
            // path of runs accepted where no worker runs), measured in the same round.
            if (args.Contains("--compare-hand-off"))
            {
                opened = [.. opened.SelectMany(o => new[] { (o.Name + ", accept then lease", (IAsyncDisposable)new NoOwner(), o.Ports with { HandOff = null, Baseline = null }), o })];
            }

            // Warm-up, untimed, once for the process: every row, together at least WarmUpTotal. The JIT needs seconds
            // here to move the runner's code to its optimised tier: with a second of warm-up the first row measured
            // used about twice the CPU per step of the same row measured again later.
            var warmEach = TimeSpan.FromSeconds(Math.Max(1, WarmUpTotal.TotalSeconds / (opened.Count * modes.Length)));
            foreach (var (_, _, ports) in opened)
            {
                foreach (var (_, concurrency) in modes)
                {
                    await MeasureAsync(ports, concurrency, warmEach);
                }
            }

            // The statistics a database that has run for a minute has (autovacuum analyzes a table after about 10 % of it
            // changed, at most a minute apart): without them, the plans PostgreSQL caches for the prepared statements are
            // the ones of an empty table.
            foreach (var (_, _, ports) in opened)
            {
                if (ports.Analyze is { } analyze)
                {
                    await analyze();
                }
            }

            if (slices)
            {
                Console.WriteLine("ready");
                while (Console.ReadLine() is { } line)
                {
                    var round = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (round is not ["round", var value] || !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var slice) || slice <= 0)
                    {
                        await Console.Error.WriteLineAsync($"runner --slices: expected 'round SECONDS', got '{line}'");
                        return 2;
                    }

                    await PrintRoundAsync(opened, modes, TimeSpan.FromSeconds(slice), warmUp: false);
                    Console.WriteLine("end");
                }

                return 0;
            }

            await PrintRoundAsync(opened, modes, TimeSpan.FromSeconds(seconds), warmUp: true);
            return 0;
        }
        finally
        {
            foreach (var (_, owner, _) in opened)
            {
                await owner.DisposeAsync();
            }
        }
    }

    private static async Task PrintRoundAsync(List<(string Name, IAsyncDisposable Owner, Ports Ports)> engines, (string, int)[] modes, TimeSpan duration, bool warmUp)
    {
        Console.WriteLine($"| engine | mode | steps/s | step p50 (ms) | step p99 (ms) | runs | CPU ms/step | KiB allocated/step |");
        Console.WriteLine($"|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, _, ports) in engines)
        {
            if (ports.Baseline is { } baseline)
            {
                // The server's own pace, sampled right before its rows: the disk's fsync rate drifts minute to minute.
                var commits = await baseline(TimeSpan.FromSeconds(Math.Min(2, duration.TotalSeconds)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | one connection, a commit per insert (baseline, commits/s) | {commits:F0} | | | | | |"));
            }

            foreach (var (mode, concurrency) in modes)
            {
                if (warmUp)
                {
                    await MeasureAsync(ports, 1, TimeSpan.FromSeconds(1));
                }

                var result = await MeasureAsync(ports, concurrency, duration);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {mode} | {result.StepsPerSecond:F0} | {result.P50:F2} | {result.P99:F2} | {result.Runs} | {result.CpuPerStep:F3} | {result.KibPerStep:F1} |"));
            }
        }
    }

    // CPU ms/step: this process's processor time (every thread: ours, the SQLite engine, Npgsql) over the steps run, a
    // figure the disk's drift does not move, unlike steps/s. KiB allocated/step: the managed heap allocations of every
    // thread over the steps run (the garbage collector's work grows with them), as steady as the CPU figure.
    private static async Task<(double StepsPerSecond, double P50, double P99, int Runs, double CpuPerStep, double KibPerStep)> MeasureAsync(Ports p, int concurrency, TimeSpan duration)
    {
        var latencies = new List<double>();
        var finished = new List<RunRecord>();
        var runs = 0;
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var started = Stopwatch.GetTimestamp();
        p.HandOff?.Open("bench", TimeSpan.FromMinutes(1), concurrency);
        try
        {
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                // Started as concurrent clients would start them (their accepts share commits, as in the server).
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => p.Service.StartAsync("bench", p.Workflow, 1, JsonSerializer.SerializeToElement(new { n = i }))));

                // Handed over leased, or leased here in a commit of their own.
                var leased = new List<RunRecord>(concurrency);
                while (p.HandOff?.TryTake(out var run) == true)
                {
                    leased.Add(run);
                }

                if (leased.Count < concurrency)
                {
                    leased.AddRange(await p.Runs.AcquireAsync(new RunLeaseRequest("bench", concurrency - leased.Count, TimeSpan.FromMinutes(1))));
                }

                // Each run on a task of its own, as RunWorker starts them. Called in turn, a run on SQLite (whose commits
                // complete without yielding) ran every step before the next run began: the 32 runs went one after another
                // and no two commits ever shared a transaction.
                await Task.WhenAll(leased.Select(r => Task.Run(() => p.Executor.ExecuteAsync(r, "bench", CancellationToken.None))));
                p.HandOff?.Release(leased.Count);
                runs += leased.Count;
                finished.AddRange(leased);
            }
        }
        finally
        {
            p.HandOff?.Close();
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;

        // Latencies are read from the committed checkpoints after the clock stopped, so reading them costs nothing above.
        foreach (var run in finished)
        {
            var previous = (await p.Runs.GetAsync(run.TenantId, run.Id))!.CreatedAt;
            var done = 0;
            foreach (var version in await p.Checkpoints.ListVersionsAsync(run.TenantId, run.Id))
            {
                var checkpoint = (await p.Checkpoints.GetAsync(run.TenantId, run.Id, version))!;
                var steps = CheckpointFormat.Read(checkpoint.FormatVersion, checkpoint.State).Steps.Count;
                for (var step = done; step < steps; step++)
                {
                    latencies.Add((checkpoint.CreatedAt - previous).TotalMilliseconds / (steps - done));
                }

                done = steps;
                previous = checkpoint.CreatedAt;
            }
        }

        latencies.Sort();
        return (runs * Steps / elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), runs, runs == 0 ? 0 : cpu / (runs * Steps),
            runs == 0 ? 0 : allocated / 1024.0 / (runs * Steps));
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];

    private static Task<(IStore, IAsyncDisposable, Func<IStore, Ports>)> Sqlite(string path, SqliteSynchronous synchronous, string workflow = PerStep)
    {
        var ports = SqliteEngine.Open(path, TimeProvider.System, settings: new Dictionary<string, string?> { ["Soma:Store:Sqlite:Synchronous"] = synchronous.ToString() });
        return Task.FromResult<(IStore, IAsyncDisposable, Func<IStore, Ports>)>((ports.Store, ports, _ => Build(ports.Store, ports.Runs, ports.Checkpoints, ports.Effects, ports.Outbox, workflow)));
    }

    private static (IStore, IAsyncDisposable, Func<IStore, Ports>) PostgresPorts(string connectionString, string? groupCommit)
    {
        var ports = PostgresEngine.Open(connectionString + ";Maximum Pool Size=64", TimeProvider.System,
            settings: groupCommit is null ? null : new Dictionary<string, string?> { ["Soma:Store:Postgres:GroupCommit"] = groupCommit });
        return (ports.Store, ports, _ => Build(ports.Store, ports.Runs, ports.Checkpoints, ports.Effects, ports.Outbox) with
        {
            Baseline = duration => SingleConnectionCommitsAsync(connectionString, duration),
            Analyze = () => AnalyzeAsync(connectionString),
        });
    }

    private static async Task AnalyzeAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        using var analyze = new NpgsqlCommand("ANALYZE", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    // The single-connection commit rate of the server: small inserts on one connection, each its own transaction, so each
    // waits for its own WAL flush. Concurrent runs are measured against it.
    private static async Task<double> SingleConnectionCommitsAsync(string connectionString, TimeSpan duration)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS bench_commits (id bigserial PRIMARY KEY, payload text NOT NULL)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        using var insert = new NpgsqlCommand("INSERT INTO bench_commits (payload) VALUES ($1)", connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = new string('x', 300) });
        await insert.PrepareAsync();
        var commits = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            await insert.ExecuteNonQueryAsync();
            commits++;
        }

        return commits / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static Ports Build(IStore store, IRunStore runs, ICheckpointStore checkpoints, IEffectsLedger effects, IOutbox outbox, string workflow = PerStep)
    {
        var builder = WorkflowDefinition.Create(workflow, 1)
            .WithDurability(workflow == Batched ? WorkflowDurability.Batched() : WorkflowDurability.PerStep);
        for (var i = 0; i < Steps; i++)
        {
            var step = i;
            builder.Step($"s{i}", (_, _) => ValueTask.FromResult(StepOutcome.Succeeded(new { step })), i == 0 ? null : o => o.After($"s{step - 1}"));
        }

        var registry = new WorkflowRegistry();
        registry.Register(builder.Build());
        var ids = new UuidV7Generator(TimeProvider.System);
        var handOff = new RunHandOff();
        return new Ports(
            workflow,
            runs,
            checkpoints,
            new RunService(store, runs, checkpoints, outbox, ids, registry, TimeProvider.System, handOff: handOff),
            new RunExecutor(store, runs, checkpoints, effects, outbox, ids, registry, TimeProvider.System, Options.Create(new OrchestrationOptions()), NullLogger<RunExecutor>.Instance))
        {
            HandOff = handOff,
        };
    }

    private sealed class NoOwner : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed record Ports(string Workflow, IRunStore Runs, ICheckpointStore Checkpoints, RunService Service, RunExecutor Executor)
    {
        /// <summary>Refreshes the engine's planner statistics after the warm-up; null when it has none to refresh.</summary>
        public Func<Task>? Analyze { get; init; }

        /// <summary>The engine's own commit rate, printed before its rows; null when it has none.</summary>
        public Func<TimeSpan, Task<double>>? Baseline { get; init; }

        /// <summary>
        /// Runs accepted leased to the driver and handed to it in memory, as a worker in the accepting process takes
        /// them (<see cref="RunHandOff"/>); null: accepted, then leased in a commit of their own.
        /// </summary>
        public RunHandOff? HandOff { get; init; }
    }
}
