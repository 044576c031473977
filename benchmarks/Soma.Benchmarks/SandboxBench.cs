using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Contracts.Schemas;
using Soma.Tools.Sandbox;
using Soma.Tools.Sandbox.Egress;

namespace Soma.Benchmarks;

/// <summary>
/// What the sandbox drivers share: our two profiles built as the server builds them (default <c>Soma:Sandbox</c>),
/// Anthropic's <c>srt</c> (installed by <c>benchmarks/sandbox/install-srt.sh</c>, never by the drivers) and a way to
/// run a host program to its end with a stop the driver controls (srt has no time limit of its own).
/// </summary>
internal static class SandboxBench
{
    public static (SandboxHost Host, BubblewrapSandbox Bubblewrap, GvisorSandbox Gvisor) Ours()
    {
        var options = Options.Create(new SandboxOptions());
        var host = new SandboxHost(options);
        return (host, new BubblewrapSandbox(options, host, Egress()), new GvisorSandbox(options, host));
    }

    /// <summary>The egress proxy service, logging nowhere, counting on a meter nobody reads.</summary>
    public static SandboxEgress Egress()
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new SandboxEgress(NullLogger<SandboxEgress>.Instance, services.GetRequiredService<IMeterFactory>());
    }

    /// <summary><c>--srt PATH</c>, else <c>SOMA_BENCH_SRT</c>, else <c>benchmarks/sandbox/.srt</c> above the current directory.</summary>
    public static string? FindSrt(string[] args)
    {
        var i = Array.IndexOf(args, "--srt");
        if (i >= 0 && i + 1 < args.Length)
        {
            return File.Exists(args[i + 1]) ? Path.GetFullPath(args[i + 1]) : throw new FileNotFoundException($"--srt {args[i + 1]}: no such file");
        }

        if (Environment.GetEnvironmentVariable("SOMA_BENCH_SRT") is { Length: > 0 } fromEnvironment)
        {
            return File.Exists(fromEnvironment) ? fromEnvironment : throw new FileNotFoundException($"SOMA_BENCH_SRT={fromEnvironment}: no such file");
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "benchmarks", "sandbox", ".srt", "node_modules", ".bin", "srt");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    public static string SrtVersion(string srt)
    {
        var package = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(srt)!)!, "@anthropic-ai", "sandbox-runtime", "package.json");
        return File.Exists(package) ? JsonNode.Parse(File.ReadAllText(package))?["version"]?.GetValue<string>() ?? "?" : "?";
    }

    /// <summary>
    /// An srt settings file for a tool call as we run one: the workspace writable, no network, and reads denied under
    /// <paramref name="denyRead"/>; <paramref name="denyEnvironment"/> are withheld (srt passes its caller's environment on).
    /// </summary>
    public static string WriteSrtSettings(string path, string workspace, IEnumerable<string> denyRead, IEnumerable<string> denyEnvironment)
    {
        var settings = new JsonObject
        {
            ["network"] = new JsonObject { ["allowedDomains"] = new JsonArray(), ["deniedDomains"] = new JsonArray() },
            ["filesystem"] = new JsonObject
            {
                ["denyRead"] = new JsonArray([.. denyRead.Select(p => (JsonNode?)p)]),
                ["allowRead"] = new JsonArray(),
                ["allowWrite"] = new JsonArray(workspace),
                ["denyWrite"] = new JsonArray(),
            },
        };
        var env = denyEnvironment.Select(n => (JsonNode?)new JsonObject { ["name"] = n, ["mode"] = "deny" }).ToArray();
        if (env.Length > 0)
        {
            settings["credentials"] = new JsonObject { ["envVars"] = new JsonArray(env) };
        }

        File.WriteAllText(path, settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>The arguments as one <c>sh -c</c> string (what <c>srt -c</c> takes).</summary>
    public static string ShellLine(IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));

    /// <summary>
    /// Runs a host program to its end, or until <paramref name="stopAfter"/> or <paramref name="stopWhen"/>: then its
    /// whole tree is killed and the result says the driver stopped it.
    /// </summary>
    public static async Task<HostRun> RunAsync(ProcessStartInfo start, TimeSpan stopAfter, Func<bool>? stopWhen = null, Func<Process, Task>? beforeKill = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var exited = process.WaitForExitAsync();
        var stopped = false;
        while (!exited.IsCompleted)
        {
            if (clock.Elapsed > stopAfter || (stopWhen?.Invoke() ?? false))
            {
                stopped = true;
                if (beforeKill is not null)
                {
                    await beforeKill(process);
                }

                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }

                break;
            }

            await Task.WhenAny(exited, Task.Delay(50));
        }

        await exited;
        var elapsed = clock.Elapsed;
        var code = process.ExitCode;
        return new HostRun(code, await stdout, await stderr, elapsed) { StoppedByDriver = stopped };
    }

    /// <summary>Processes whose command line holds <paramref name="marker"/> (from <c>/proc</c>).</summary>
    public static List<int> ProcessesWith(string marker)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>SIGKILL to each of <paramref name="pids"/> (processes this driver's calls left behind).</summary>
    public static void KillAll(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    public static MachineInfo Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : RuntimeInformation.ProcessArchitecture.ToString();
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? RuntimeInformation.OSDescription
            : RuntimeInformation.OSDescription;
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return new MachineInfo($"{os}, Linux {Environment.OSVersion.Version}", cpu, Environment.ProcessorCount, RuntimeInformation.FrameworkDescription, Math.Round(memory, 1));
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>
    /// Writes <paramref name="results"/> as <c>agent.benchmarks.v1</c> <c>benchmark.result</c> events, one JSON line each,
    /// each validated against its schema first (an invalid one stops the driver rather than being written).
    /// </summary>
    public static string WriteResults(string name, IEnumerable<BenchmarkResult> results)
    {
        var directory = Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts", "results");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{name}.agent.benchmarks.v1.jsonl");
        var validator = new EventValidator(SchemaRegistry.Default);
        var ids = new UuidV7Generator(TimeProvider.System);
        var context = EventContext.FromActivity(null, "bench", "soma/benchmarks", ids.NewId().ToString());
        var lines = new StringBuilder();
        foreach (var result in results)
        {
            var json = EventJson.Serialize(context.Create(result, ids, TimeProvider.System));
            using var document = JsonDocument.Parse(json);
            var validation = validator.Validate(document.RootElement);
            if (!validation.IsValid)
            {
                throw new InvalidOperationException($"{result.Benchmark}: not a valid agent.benchmarks.v1 event: {string.Join("; ", validation.Errors)}");
            }

            lines.AppendLine(json);
        }

        File.WriteAllText(path, lines.ToString());
        return path;
    }
}

/// <summary>How a host program run ended.</summary>
internal sealed record HostRun(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    /// <summary>The driver killed it (its stop time or condition came first).</summary>
    public bool StoppedByDriver { get; init; }
}
