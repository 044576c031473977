using System.Diagnostics;
using System.Globalization;
using System.Text;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// Load from <c>wrk</c> (Debian's package), a load generator in C, in a process of its own: one thread, a number of
/// keep-alive connections each sending its next request when the last response has been read, as the in-process lanes
/// of <see cref="IngestLoad.DriveAsync"/> do. The in-process <see cref="HttpClient"/> lanes share the server's process
/// and cores; from here the load generator's share is small, and latency is what a client outside the process sees.
/// </summary>
internal static class WrkLoad
{
    /// <summary>The <c>wrk</c> on the path, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "wrk"))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// <paramref name="connections"/> connections send <paramref name="method"/> requests round-robin over
    /// <paramref name="paths"/> of <paramref name="baseAddress"/> for <paramref name="duration"/> (whole seconds).
    /// Responses of status 400 and above (wrk's count), connection errors and timeouts (10 s) are errors.
    /// </summary>
    public static async Task<IngestLoad.LoadResult> DriveAsync(
        string wrk, Uri baseAddress, string authorization, IReadOnlyList<string> paths, string method, byte[]? body, int connections, TimeSpan duration)
    {
        using var directory = new TempDirectory("soma-bench-wrk");
        var script = Path.Combine(directory.Path, "load.lua");
        await File.WriteAllTextAsync(script, Script(authorization, paths, method, body));
        var start = new ProcessStartInfo(wrk)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "-t1", $"-c{connections}", string.Create(CultureInfo.InvariantCulture, $"-d{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}s"),
                     "--timeout", "10s", "-s", script, baseAddress.ToString(),
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {wrk}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output;
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("SOMA ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"wrk exited with {process.ExitCode} and no summary: {text}{await error}");
        }

        // SOMA requests duration_us status≥400 connect read write timeout p50_us p90_us p99_us max_us
        var f = line.Split(' ')[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, count) in new[] { ("status ≥ 400", f[2]), ("connect", f[3]), ("read", f[4]), ("write", f[5]), ("timeout", f[6]) })
        {
            if (count > 0)
            {
                errors[name] = (long)count;
            }
        }

        var ok = (long)(f[0] - f[2]);
        return new IngestLoad.LoadResult(ok, f[1] / 1e6, new LatencySummary((int)ok, f[7] / 1e3, f[8] / 1e3, f[9] / 1e3, f[10] / 1e3), errors);
    }

    private static string Script(string authorization, IReadOnlyList<string> paths, string method, byte[]? body)
    {
        static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        var script = new StringBuilder();
        script.Append("local paths = {").AppendJoin(", ", paths.Select(Quote)).AppendLine("}");
        script.AppendLine("local n = 0");
        script.Append("wrk.method = ").AppendLine(Quote(method));
        script.Append("wrk.headers[\"Authorization\"] = ").AppendLine(Quote(authorization));
        if (body is not null)
        {
            script.Append("wrk.body = ").AppendLine(Quote(Encoding.UTF8.GetString(body)));
            script.AppendLine("wrk.headers[\"Content-Type\"] = \"application/json\"");
        }

        script.AppendLine("""
            request = function()
              n = n + 1
              return wrk.format(nil, paths[(n % #paths) + 1])
            end
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("SOMA %d %d %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration, e.status,
                e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
            end
            """);
        return script.ToString();
    }
}
