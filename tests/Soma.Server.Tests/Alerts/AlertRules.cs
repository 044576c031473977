using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Soma.Server.Tests.Alerts;

/// <summary>The shipped rule file (<c>deploy/prometheus/</c>) and Debian's <c>promtool</c>, for the alert tests.</summary>
internal static partial class AlertRules
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SomaAgent.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new DirectoryNotFoundException("SomaAgent.slnx not found above the test assembly.");
        }
    }

    public static string Directory => Path.Combine(Root, "deploy", "prometheus");

    public static string RulesFile => Path.Combine(Directory, "soma-rules.yml");

    /// <summary>Every alert name and its <c>runbook_url</c> annotation, in file order (an alert with two windows appears twice).</summary>
    public static IReadOnlyList<(string Alert, string? RunbookUrl)> Alerts()
    {
        var result = new List<(string, string?)>();
        string? current = null;
        string? runbook = null;
        foreach (var line in File.ReadLines(RulesFile))
        {
            var alert = AlertLine().Match(line);
            if (alert.Success || RecordLine().IsMatch(line))
            {
                if (current is not null)
                {
                    result.Add((current, runbook));
                }

                current = alert.Success ? alert.Groups[1].Value : null;
                runbook = null;
                continue;
            }

            var url = RunbookLine().Match(line);
            if (url.Success && current is not null)
            {
                runbook = url.Groups[1].Value;
            }
        }

        if (current is not null)
        {
            result.Add((current, runbook));
        }

        return result;
    }

    /// <summary>Runs Debian's <c>promtool</c>; a missing promtool is a failure (test.sh installs the <c>prometheus</c> package).</summary>
    public static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] args)
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("promtool is not installed: install Debian's 'prometheus' package (./test.sh does).");
        var start = new ProcessStartInfo(promtool) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"^\s*- alert:\s*(\S+)\s*$")]
    private static partial Regex AlertLine();

    [GeneratedRegex(@"^\s*- record:")]
    private static partial Regex RecordLine();

    [GeneratedRegex(@"^\s*runbook_url:\s*(\S+)\s*$")]
    private static partial Regex RunbookLine();
}
