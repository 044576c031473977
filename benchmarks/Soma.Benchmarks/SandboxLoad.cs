using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Sandbox;
using Soma.Core.Storage;
using Soma.Policy.Hosting;
using Soma.Testing;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Soma.Benchmarks;

/// <summary>
/// The sandbox driver (<c>dotnet run -c Release -- sandbox [N=200] [SLOW=30] [--srt PATH]</c>): start-to-exit of
/// <c>/bin/true</c>, interleaved in one run so the machine's load falls on every row alike. N times each for the
/// process-level rows (a bare fork+exec through .NET's <see cref="Process"/>, <c>posix_spawn</c>, bare <c>bwrap</c>,
/// our <c>bubblewrap</c> profile through <see cref="IToolSandbox.RunAsync"/>, and the same profile's program line run
/// as a plain process); SLOW times each for bare <c>runsc do</c>, our <c>gvisor</c> profile and <c>srt</c> (when
/// installed: <c>benchmarks/sandbox/install-srt.sh</c>). Then the in-process tool call: <c>time.now</c> called directly,
/// through <see cref="ToolInvoker.InvokeAsync"/> (arguments, the policy node over the shipped Rego policy, the tool),
/// and with <see cref="ToolInvoker.RecordAsync"/> into a SQLite transaction (the audit row and the call's events in the
/// outbox). Prints a table and writes the figures as <c>agent.benchmarks.v1</c> events.
/// </summary>
public static partial class SandboxLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var positional = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal) && int.TryParse(a, CultureInfo.InvariantCulture, out _)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        var n = positional.Length > 0 ? positional[0] : 200;
        var slow = positional.Length > 1 ? positional[1] : 30;
        var toolCalls = 20_000;
        var srt = SandboxBench.FindSrt(args);
        var (host, bubblewrap, gvisor) = SandboxBench.Ours();
        using var owner = host;
        using var workspace = new TempDirectory("soma-bench-ws");
        using var srtHome = new TempDirectory("soma-bench-srt-home");
        var load = SandboxBench.LoadAverage();

        var rows = new List<Row>
        {
            new("fork+exec /bin/true (.NET Process)", "fork_exec", n, () => Spawn("/bin/true")),
            new("posix_spawn /bin/true", "posix_spawn", n, () => Task.FromResult(PosixSpawn("/bin/true"))),
            new("bare bwrap (minimal arguments)", "bwrap_bare", n, () => Spawn("/usr/bin/bwrap", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--unshare-all", "--die-with-parent", "/bin/true")),
            new("our bubblewrap profile (IToolSandbox.RunAsync)", "bubblewrap", n, () => Sandboxed(bubblewrap, workspace.Path)),
            new("  its program line alone (Process, no cgroup)", "bubblewrap_line", n, () => Line(bubblewrap.Prepare(new SandboxCommand(["/bin/true"], workspace.Path, SandboxLimits.Default)))),
            new("bare runsc --rootless --network=none do", "runsc_bare", slow, () => Spawn("/usr/bin/runsc", "--rootless", "--network=none", "do", "/bin/true")),
            new("our gvisor profile (IToolSandbox.RunAsync)", "gvisor", slow, () => Sandboxed(gvisor, workspace.Path)),
        };
        if (srt is not null)
        {
            // The same job as ours: the workspace writable, no network (srt's own defaults leave the workspace read-only).
            var settings = SandboxBench.WriteSrtSettings(Path.Combine(srtHome.Path, "srt-settings.json"), workspace.Path, [], []);
            rows.Add(new($"srt {SandboxBench.SrtVersion(srt)} (workspace writable, no network)", "srt", slow, () => SpawnIn(workspace.Path, srt, "--settings", settings, "/bin/true")));
        }

        foreach (var sandbox in new IToolSandbox[] { bubblewrap, gvisor })
        {
            if (!sandbox.Availability.Available)
            {
                Console.Error.WriteLine($"{sandbox.Name}: {sandbox.Availability.Problem}");
                return 1;
            }
        }

        Console.WriteLine($"sandbox start-to-exit of /bin/true: {n} each (process rows), {slow} each (runsc, gvisor, srt), interleaved; load average at start {load}; srt: {srt ?? "not installed (benchmarks/sandbox/install-srt.sh)"}");
        foreach (var row in rows)
        {
            for (var i = 0; i < (row.Count == n ? 10 : 2); i++)
            {
                await row.Measure(); // warm-up, untimed
            }
        }

        // Interleaved: every round runs each process row once, and the slow rows on every (n / slow)-th round; the order
        // rotates so no row always follows the same one.
        var every = Math.Max(1, n / Math.Max(1, slow));
        for (var round = 0; round < n; round++)
        {
            var due = rows.Where(r => r.Count == n || (round % every == 0 && r.Latencies.Count < r.Count)).ToList();
            for (var k = 0; k < due.Count; k++)
            {
                var row = due[(k + round) % due.Count];
                var started = Stopwatch.GetTimestamp();
                await row.Measure();
                row.Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        foreach (var row in rows.Where(r => r.Latencies.Count < r.Count))
        {
            while (row.Latencies.Count < row.Count)
            {
                var started = Stopwatch.GetTimestamp();
                await row.Measure();
                row.Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        var summaries = rows.ToDictionary(r => r.Id, r => LatencySummary.Of(r.Latencies));
        var baseline = summaries["fork_exec"];
        Console.WriteLine();
        Console.WriteLine("| start-to-exit of /bin/true | n | p50 ms | p90 ms | p99 ms | max ms | p50 over fork+exec |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var s = summaries[row.Id];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {row.Name} | {s.Count} | {s.P50:F2} | {s.P90:F2} | {s.P99:F2} | {s.Max:F2} | {s.P50 - baseline.P50:+0.00;-0.00} ms |"));
        }

        var tool = await MeasureToolCallAsync(toolCalls);
        PrintToolCalls(tool, toolCalls);

        var ours = summaries["bubblewrap"];
        var bare = summaries["bwrap_bare"];
        var overBare = ours.P50 - bare.P50;
        var srtSummary = summaries.GetValueOrDefault("srt");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bubblewrap over bare bwrap, p50: {overBare:F2} ms (aim ≤ 5 ms: {(overBare <= 5 ? "met" : "NOT met")})"));
        Console.WriteLine(srtSummary is null
            ? "bubblewrap below srt: not measured (srt is not installed)"
            : string.Create(CultureInfo.InvariantCulture, $"bubblewrap p50 {ours.P50:F2} ms vs srt p50 {srtSummary.P50:F2} ms (aim: below srt: {(ours.P50 < srtSummary.P50 ? "met" : "NOT met")}; {srtSummary.P50 / ours.P50:F1}x)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gvisor p50: {summaries["gvisor"].P50:F2} ms (aim ≤ 150 ms: {(summaries["gvisor"].P50 <= 150 ? "met" : "NOT met")})"));
        PrintToolCallAim(tool);
        Console.WriteLine($"load average at end {SandboxBench.LoadAverage()}");

        var machine = SandboxBench.Machine();
        var results = new List<BenchmarkResult>();
        foreach (var row in rows)
        {
            var s = summaries[row.Id];
            var against = row.Id == "bubblewrap" || row.Id == "bubblewrap_line" ? bare : row.Id == "gvisor" ? summaries["runsc_bare"] : baseline;
            foreach (var (metric, value, reference) in new[] { ("p50", s.P50, against.P50), ("p99", s.P99, against.P99) })
            {
                results.Add(new BenchmarkResult($"sandbox.start_to_exit.{row.Id}", metric, Math.Round(value, 3), "ms", machine, Math.Round(reference, 3), Math.Round(value / reference, 3)));
            }
        }

        var direct = tool[0].Summary;
        foreach (var (name, s) in tool.Skip(1).Select((t, i) => (ToolCallIds[i], t.Summary)))
        {
            foreach (var (metric, value, reference) in new[] { ("p50", s.P50, direct.P50), ("p99", s.P99, direct.P99) })
            {
                results.Add(new BenchmarkResult($"tools.call_overhead.{name}", metric, Math.Round(value * 1000, 2), "us", machine, Math.Round(reference * 1000, 2), Math.Round(value / reference, 2)));
            }
        }

        Console.WriteLine($"results: {SandboxBench.WriteResults("sandbox", results)}");
        return 0;
    }

    /// <summary>
    /// The in-process tool call alone (<c>dotnet run -c Release -- tool-call [N=20000]</c>): the same three rows as at the
    /// end of <c>sandbox</c>, without the sandboxes.
    /// </summary>
    public static async Task<int> RunToolCallAsync(string[] args)
    {
        var calls = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var n) ? n : 20_000;
        Console.WriteLine($"in-process tool call: {calls:N0} calls per row; load average at start {SandboxBench.LoadAverage()}");
        var tool = await MeasureToolCallAsync(calls);
        PrintToolCalls(tool, calls);
        PrintToolCallAim(tool);
        return 0;
    }

    // The rows after the baseline, as the results file names them.
    private static readonly string[] ToolCallIds = ["invoke", "invoke_audit", "invoke_record", "invoke_audit_first_of_step", "audit_first_after_fsync", "audit_after_step_row"];

    // The aim (issue 13): the in-process overhead of a call, its arguments' schema + the policy + the audit, p99 < 50 µs.
    // The tool's own events and analytics row are reported beside it, not hidden in it.
    private static void PrintToolCallAim(List<(string Name, LatencySummary Summary)> tool)
    {
        var audited = tool[2].Summary;
        var recorded = tool[3].Summary;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tool call overhead (schema + policy + audit) p99: {audited.P99 * 1000:F1} µs (aim < 50 µs: {(audited.P99 * 1000 < 50 ? "met" : "NOT met")}); with the tool's events and analytics row: {recorded.P99 * 1000:F1} µs"));
    }

    private static void PrintToolCalls(List<(string Name, LatencySummary Summary)> tool, int calls)
    {
        Console.WriteLine();
        Console.WriteLine($"| in-process tool call, time.now ({calls:N0} calls each) | p50 µs | p90 µs | p99 µs | max µs |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, s) in tool)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {s.P50 * 1000:F1} | {s.P90 * 1000:F1} | {s.P99 * 1000:F1} | {s.Max * 1000:F0} |"));
        }
    }

    private static Task Spawn(string program, params string[] arguments) => SpawnIn(null, program, arguments);

    private static async Task SpawnIn(string? directory, string program, params string[] arguments)
    {
        // The same .NET path our sandboxes start their program through: redirected streams, read to the end, awaited exit.
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        if (directory is not null)
        {
            start.WorkingDirectory = directory;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await Task.WhenAll(stdout, stderr);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {(await stderr).Trim()}");
        }
    }

    private static async Task Line(SandboxLaunch launch)
    {
        var start = new ProcessStartInfo(launch.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in launch.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (name, value) in launch.Environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{launch.FileName} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await Task.WhenAll(stdout, stderr);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the bubblewrap line exited with {process.ExitCode}: {(await stderr).Trim()}");
        }
    }

    private static async Task Sandboxed(IToolSandbox sandbox, string workspace)
    {
        var result = await sandbox.RunAsync(new SandboxCommand(["/bin/true"], workspace, SandboxLimits.Default), null, CancellationToken.None);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{sandbox.Name}: /bin/true did not succeed: {result.Error ?? result.Stderr}");
        }
    }

    private static Task PosixSpawn(string program)
    {
        var path = Marshal.StringToHGlobalAnsi(program);
        try
        {
            nint[] argv = [path, 0];
            nint[] envp = [0];
            var error = PosixSpawnNative(out var pid, path, 0, 0, argv, envp);
            if (error != 0)
            {
                throw new Win32Exception(error);
            }

            // .NET's SIGCHLD handling may reap a child it did not start first; ECHILD then means it has exited.
            while (WaitPid(pid, out _, 0) < 0 && Marshal.GetLastPInvokeError() == 4)
            {
            }

            return Task.CompletedTask;
        }
        finally
        {
            Marshal.FreeHGlobal(path);
        }
    }

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static partial int PosixSpawnNative(out int pid, nint path, nint fileActions, nint attributes, [In] nint[] argv, [In] nint[] envp);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, out int status, int options);

    /// <summary>time.now called directly, through the invoker, and through the invoker with its records (p50/p99 in ms).</summary>
    private static async Task<List<(string Name, LatencySummary Summary)>> MeasureToolCallAsync(int calls)
    {
        using var directory = new TempDirectory("soma-bench-tools");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Soma:Store:Sqlite:Path"] = Path.Combine(directory.Path, "soma.db"),
            ["Soma:Policy:Directory"] = Path.Combine(AppContext.BaseDirectory, "conf"),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<IIdGenerator>(new UuidV7Generator(TimeProvider.System));
        services.AddSqliteStore();
        services.AddSomaPolicy(configuration);
        services.AddSomaTools();
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<PolicyReloader>().LoadAtStart();
        var store = provider.GetRequiredService<IStore>();
        await store.MigrateAsync();
        var invoker = provider.GetRequiredService<ToolInvoker>();
        var outbox = provider.GetRequiredService<IOutbox>();
        var ids = provider.GetRequiredService<IIdGenerator>();
        var registry = provider.GetRequiredService<ToolRegistry>();
        registry.TryGet("time.now", out var timeNow);
        var context = new ToolContext("bench", Guid.CreateVersion7(), Guid.CreateVersion7(), DateTimeOffset.UtcNow);
        var caller = new ToolCaller("bench", "alice", ["user"]);
        using var empty = JsonDocument.Parse("{}");
        ToolCallRequest Request(int i) => new(caller, "call_" + i.ToString(CultureInfo.InvariantCulture), "time.now", "{}", context, "tools", TimeSpan.FromSeconds(10));

        var check = await invoker.InvokeAsync(Request(0));
        if (!check.Ran || check.Result.IsError)
        {
            throw new InvalidOperationException($"time.now did not run through the invoker: {check.Result.Output}");
        }

        var direct = await TimeAsync(calls, async i => await timeNow!.InvokeAsync(empty.RootElement, context, CancellationToken.None));
        var invoked = await TimeAsync(calls, async i => await invoker.InvokeAsync(Request(i)));

        // As the chat turn makes its calls: the invoker runs them outside any transaction (the tools step), then the step's
        // commit opens a transaction, writes the step's own rows and records each call in it (ChatTurnWorkflow.ToolsAsync,
        // RunExecutor's commit). A call's overhead is its invoke plus its records. The transaction's begin, the step's own
        // row and the commit (an fsync) are the step's, untimed; a step here carries 100 calls.
        var audited = await TimeStepsAsync(store, calls, i => invoker.InvokeAsync(Request(i)), (invocation, sink) => invoker.AuditAsync(invocation, sink), StepSink);
        var recorded = await TimeStepsAsync(store, calls, i => invoker.InvokeAsync(Request(i)), (invocation, sink) => invoker.RecordAsync(invocation, sink), StepSink);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"allocated per call (invoke + records, the step's rows included): audited {audited.BytesPerCall / 1024:F1} KiB ({audited.Gen0Collections} gen0 collections in {calls:N0} calls), recorded {recorded.BytesPerCall / 1024:F1} KiB ({recorded.Gen0Collections})"));

        return
        [
            ("time.now called directly (baseline)", direct),
            ("ToolInvoker.InvokeAsync: arguments + policy (embedded Rego, shipped conf/) + tool", invoked),
            ("  + the audited decision in the step's commit: audit row + agent.audit.v1 event", audited.Overhead),
            ("  + RecordAsync in the step's commit: the audited decision, 4 tool events and the analytics row", recorded.Overhead),
            ("    of which the first call of each step (its invoke right after the last commit, its records first in the new one)", audited.FirstOfStep),
            ("    the audited decision alone, written first after a commit's fsync (not where a step writes it)", audited.FirstAfterFsync),
            ("    the audited decision alone, after the step's own row (where a step writes it)", audited.AfterStepRow),
        ];

        OutboxSink StepSink(IStoreTransaction transaction) => new(transaction, outbox, ids, context.RunId);
    }

    /// <summary>
    /// Steps of 100 calls: each call invoked and timed, then one transaction per step with the step's own row (its
    /// <c>step.succeeded</c> event, untimed) and each call's records, timed; a call's sample is its invoke plus its records.
    /// Then, as a control, the same records written as the first thing after a commit's fsync.
    /// </summary>
    private static async Task<StepTimings> TimeStepsAsync(
        IStore store, int calls, Func<int, Task<ToolInvocation>> invoke, Func<ToolInvocation, IToolEventSink, Task> record, Func<IStoreTransaction, OutboxSink> sinkFor)
    {
        const int PerStep = 100;
        var invocations = new ToolInvocation[PerStep];
        var latencies = new double[calls];
        var firstAfterFsync = new List<double>();
        var afterStepRow = new List<double>();

        async Task StepAsync(int first, int count, bool timed)
        {
            for (var k = 0; k < count; k++)
            {
                var started = Stopwatch.GetTimestamp();
                invocations[k] = await invoke(first + k);
                if (timed)
                {
                    latencies[first + k] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }

            await using var transaction = await store.BeginAsync();
            var sink = sinkFor(transaction);
            await sink.AppendAsync(new StepSucceeded("tools", 1, first, 1.0));
            for (var k = 0; k < count; k++)
            {
                var started = Stopwatch.GetTimestamp();
                await record(invocations[k], sink);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (timed)
                {
                    latencies[first + k] += elapsed;
                    if (k == 0)
                    {
                        afterStepRow.Add(elapsed);
                    }
                }
            }

            await transaction.CommitAsync();
        }

        // Warm-up, untimed, as in TimeAsync.
        var warmUp = Stopwatch.StartNew();
        for (var i = 0; i < Math.Min(calls, 5_000) || warmUp.Elapsed < WarmUpTime; i += PerStep)
        {
            await StepAsync(0, PerStep, timed: false);
        }

        var allocated = GC.GetTotalAllocatedBytes();
        var collections = GC.CollectionCount(0);
        for (var first = 0; first < calls; first += PerStep)
        {
            await StepAsync(first, Math.Min(PerStep, calls - first), timed: true);
        }

        var bytesPerCall = (GC.GetTotalAllocatedBytes() - allocated) / (double)calls;
        var gen0 = GC.CollectionCount(0) - collections;

        // The control: one call's records as the first thing written after the previous commit's fsync, in a
        // transaction of their own, once per step's worth of calls.
        for (var i = 0; i < calls / PerStep; i++)
        {
            await using var transaction = await store.BeginAsync();
            var started = Stopwatch.GetTimestamp();
            await record(invocations[0], sinkFor(transaction));
            firstAfterFsync.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await transaction.CommitAsync();
        }

        var firstOfStep = LatencySummary.Of(latencies.Where((_, i) => i % PerStep == 0));
        return new StepTimings(LatencySummary.Of(latencies), firstOfStep, LatencySummary.Of(firstAfterFsync), LatencySummary.Of(afterStepRow), bytesPerCall, gen0);
    }

    /// <summary>A call's overhead in steps (all calls, the first of each step), two placements of its records, and what the calls allocated.</summary>
    private sealed record StepTimings(LatencySummary Overhead, LatencySummary FirstOfStep, LatencySummary FirstAfterFsync, LatencySummary AfterStepRow, double BytesPerCall, int Gen0Collections);

    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(5);

    private static async Task<LatencySummary> TimeAsync(int calls, Func<int, Task> call)
    {
        // Warm-up, untimed: enough calls and time for tiered compilation to finish (a server's steady state), not the first
        // seconds of a process whose methods still run their unoptimised code.
        var warmUp = Stopwatch.StartNew();
        for (var i = 0; i < Math.Min(calls, 5_000) || warmUp.Elapsed < WarmUpTime; i++)
        {
            await call(i);
        }

        var latencies = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call(i);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return LatencySummary.Of(latencies);
    }

    private sealed record Row(string Name, string Id, int Count, Func<Task> Measure)
    {
        public List<double> Latencies { get; } = [];
    }

    /// <summary>The runner's event sink: each event in an envelope, into the outbox in the caller's transaction.</summary>
    private sealed class OutboxSink(IStoreTransaction transaction, IOutbox outbox, IIdGenerator ids, Guid runId) : IToolEventSink
    {
        private readonly EventContext _context = EventContext.FromActivity(null, "bench", "soma/worker", runId.ToString()) with { RunId = runId };

        public IStoreTransaction Transaction => transaction;

        public CancellationToken CancellationToken => CancellationToken.None;

        public async Task AppendAsync<TData>(TData data)
            where TData : IEventData
        {
            var envelope = _context.Create(data, ids, TimeProvider.System);
            await outbox.AppendAsync(transaction, OutboxMessages.For(envelope, EventJson.Serialize(envelope), runId.ToString()));
        }
    }
}
