using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Soma.Contracts.Events;
using Soma.Core.Sandbox;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// <c>sandbox-egress [N=300] [ROUNDS=5]</c>: the cost of the sandbox's egress proxy on one HTTP request. The same
/// Python <c>urllib</c> client fetches a small page from a loopback server N times per round (a new connection each
/// time, 20 untimed first), timing each request in the client: directly on the host, and inside our bubblewrap
/// profile with a grant for the server (through the relay on <c>127.0.0.1:3128</c> and the per-call proxy). Rounds
/// alternate the two rows so the machine's load falls on both alike. Prints p50/p90/p99 and the p50 overhead, and
/// writes <c>benchmark.result</c> events to <c>BenchmarkDotNet.Artifacts/results/sandbox-egress.agent.benchmarks.v1.jsonl</c>.
/// </summary>
internal static class SandboxEgressLoad
{
    private const string Script = """
        import sys, time, urllib.request
        url, n = sys.argv[1], int(sys.argv[2])
        for i in range(n + 20):
            start = time.perf_counter()
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read()
            if i >= 20:
                print(f"{(time.perf_counter() - start) * 1000:.4f}")
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var (server, port) = await LoopbackListener.StartAsync(context => context.Response.WriteAsync("ok"));
        await using var _ = server;
        var (host, bubblewrap, _) = SandboxBench.Ours();
        using var __ = host;
        if (!bubblewrap.Availability.Available)
        {
            Console.Error.WriteLine($"bubblewrap cannot run here: {bubblewrap.Availability.Problem}");
            return 1;
        }

        var url = $"http://127.0.0.1:{port}/page";
        var workspace = Directory.CreateTempSubdirectory("soma-bench-egress-");
        var direct = new List<double>();
        var proxied = new List<double>();
        Console.WriteLine($"sandbox-egress: {n} requests x {rounds} rounds per row, load average {SandboxBench.LoadAverage()}");
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                direct.AddRange(Parse(await DirectAsync(url, n)));
                var command = new SandboxCommand(["/usr/bin/python3", "-I", "-c", Script, url, n.ToString(CultureInfo.InvariantCulture)], workspace.FullName, SandboxLimits.Default with { Timeout = TimeSpan.FromMinutes(5), CpuSeconds = 300 })
                {
                    Network = new SandboxNetwork([$"127.0.0.1:{port}"]) { AllowPrivate = true },
                };
                var result = await bubblewrap.RunAsync(command, null, CancellationToken.None);
                if (!result.Succeeded || result.EgressRefusals.Count > 0)
                {
                    Console.Error.WriteLine($"the sandboxed client failed: {result.Error ?? result.Stderr} {string.Join("; ", result.EgressRefusals)}");
                    return 1;
                }

                proxied.AddRange(Parse(result.Stdout));
            }
        }
        finally
        {
            workspace.Delete(recursive: true);
        }

        var d = LatencySummary.Of(direct);
        var p = LatencySummary.Of(proxied);
        Console.WriteLine();
        Console.WriteLine("| one HTTP request, new connection each | n | p50 ms | p90 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, s) in new[] { ("direct, on the host", d), ("through the sandbox's egress proxy", p) })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {s.Count} | {s.P50:F3} | {s.P90:F3} | {s.P99:F3} |"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"proxy overhead, p50: {p.P50 - d.P50:F3} ms ({p.P50 / d.P50:F2}x); load average at end {SandboxBench.LoadAverage()}"));
        var machine = SandboxBench.Machine();
        var results = new List<BenchmarkResult>
        {
            new("sandbox.egress.request.proxied", "p50", Math.Round(p.P50, 3), "ms", machine, Math.Round(d.P50, 3), Math.Round(p.P50 / d.P50, 3)),
            new("sandbox.egress.request.proxied", "p99", Math.Round(p.P99, 3), "ms", machine, Math.Round(d.P99, 3), Math.Round(p.P99 / d.P99, 3)),
        };
        Console.WriteLine($"results: {SandboxBench.WriteResults("sandbox-egress", results)}");
        return 0;
    }

    private static async Task<string> DirectAsync(string url, int n)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var item in new[] { "-I", "-c", Script, url, n.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(item);
        }

        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"the direct client exited with {process.ExitCode}");
    }

    private static IEnumerable<double> Parse(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => double.Parse(line, CultureInfo.InvariantCulture));
}
