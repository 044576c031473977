using System.Globalization;
using System.Text.Json;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// <c>memory-outage [MESSAGES=2000] [SESSIONS=20]</c>: the end-to-end outage scenario of the test suite at benchmark
/// size — real processes (memory service, model, gateway+worker+sync), memory stopped, every message sent, the gateway
/// killed with SIGKILL twice during the outage and once during the drain — and what it measured: the deepest backlog,
/// the time to drain, the drain rate after the restart, and whether every memory and link arrived exactly once.
/// Needs the solution built in Release (it runs the built <c>soma</c>).
/// </summary>
internal static class MemoryOutageLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        var sessions = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memory-outage: {messages:N0} messages over {sessions} sessions, one tool call each; memory service stopped; kill -9 twice during the outage and once during the drain"));
        var report = await MemoryOutageScenario.RunAsync(new MemoryOutageOptions
        {
            Messages = messages,
            Sessions = sessions,
            Patience = TimeSpan.FromMinutes(10),
            Log = line => Console.Error.WriteLine(line),
        });

        var writes = report.OutboxAtOutageEnd;
        var drainRate = report.TimeToDrain.TotalSeconds > 0 ? writes / report.TimeToDrain.TotalSeconds : 0;
        var lost = report.MissingKeys.Count + report.MissingLinks.Count;
        Console.WriteLine();
        Console.WriteLine("| accepted | refused | cap | deepest backlog | backlog at outage end | time to drain (s) | drain rate (writes/s) | missing | duplicates | modes seen | whole run (s) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {report.Accepted:N0} | {report.Refused} | {report.Cap:N0} | {report.MaxPending:N0} | {writes:N0} | {report.TimeToDrain.TotalSeconds:F1} | {drainRate:N0} | {lost} | {report.DuplicateKeys.Count} | {string.Join(" → ", report.ModeChanges)} | {report.Duration.TotalSeconds:F0} |"));
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["benchmark"] = "memory-outage",
            ["messages"] = messages,
            ["accepted"] = report.Accepted,
            ["refused"] = report.Refused,
            ["cap"] = report.Cap,
            ["max_pending"] = report.MaxPending,
            ["pending_at_outage_end"] = writes,
            ["time_to_drain_s"] = Math.Round(report.TimeToDrain.TotalSeconds, 2),
            ["drain_writes_per_second"] = Math.Round(drainRate, 1),
            ["memories"] = report.Memories,
            ["links"] = report.Links,
            ["missing"] = lost,
            ["duplicates"] = report.DuplicateKeys.Count,
            ["modes"] = report.ModeChanges,
            ["kills"] = report.Kills,
            ["seconds"] = Math.Round(report.Duration.TotalSeconds, 1),
        }));
        return lost == 0 && report.DuplicateKeys.Count == 0 && report.FinalPending == 0 ? 0 : 1;
    }
}
