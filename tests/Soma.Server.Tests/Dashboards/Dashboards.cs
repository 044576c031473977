using System.Text.Json;
using System.Text.RegularExpressions;
using Soma.Core.Telemetry;
using Soma.Server.Tests.Alerts;

namespace Soma.Server.Tests.Dashboards;

/// <summary>The shipped Grafana dashboards (<c>deploy/grafana/</c>), their PromQL, and the metric names it and the alert rules use.</summary>
internal static partial class Dashboards
{
    public static string Directory => Path.Combine(AlertRules.Root, "deploy", "grafana");

    public static IReadOnlyList<string> Files => [.. System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal)];

    /// <summary>Every target expression of every panel (rows included), by dashboard file.</summary>
    public static IReadOnlyList<(string File, string Panel, string Expr)> Expressions()
    {
        var result = new List<(string, string, string)>();
        foreach (var file in Files)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in Panels(document.RootElement))
            {
                if (!panel.TryGetProperty("targets", out var targets))
                {
                    continue;
                }

                foreach (var target in targets.EnumerateArray())
                {
                    result.Add((Path.GetFileName(file), panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!));
                }
            }
        }

        return result;
    }

    /// <summary>Every <c>expr</c> of the rule file (recording rules and alerts).</summary>
    public static IReadOnlyList<string> RuleExpressions() =>
        [.. File.ReadLines(AlertRules.RulesFile).Select(l => RuleExpr().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)];

    /// <summary>The recording rules the rule file defines (<c>soma:…</c>).</summary>
    public static IReadOnlySet<string> RecordingRules() =>
        File.ReadLines(AlertRules.RulesFile).Select(l => RecordLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>Grafana's template variables replaced by what they expand to, so promtool can parse the expression.</summary>
    public static string Substitute(string expr) =>
        expr.Replace("$__rate_interval", "5m", StringComparison.Ordinal)
            .Replace("$__interval", "1m", StringComparison.Ordinal)
            .Replace("$instance", ".*", StringComparison.Ordinal)
            .Replace("$roles", ".*", StringComparison.Ordinal);

    /// <summary>The metric and recording-rule names an expression reads (label names, label values and functions left out).</summary>
    public static IEnumerable<string> MetricNames(string expr)
    {
        // Label matchers and strings hold label names and values, not metrics; by/on/without lists hold label names.
        var bare = QuotedOrBraced().Replace(expr, " ");
        bare = Grouping().Replace(bare, " ");
        return Identifier().Matches(bare).Select(m => m.Value).Where(n => n.StartsWith("soma", StringComparison.Ordinal) || n.StartsWith("http_", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal);
    }

    /// <summary>A series name without the histogram suffixes, the name an exported family has.</summary>
    public static string Family(string name)
    {
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }

    /// <summary>Metric families in a Prometheus text exposition, from its samples.</summary>
    public static IReadOnlySet<string> ExportedFamilies(string exposition)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length > 0 && line[0] != '#')
            {
                names.Add(Family(SampleName().Match(line).Value));
            }
        }

        return names;
    }

    /// <summary>Registry instruments by the family name the Prometheus exporter gives them.</summary>
    public static IReadOnlyDictionary<string, SomaInstrument> RegistryFamilies() =>
        SomaMeters.All.ToDictionary(i => i.PrometheusName, StringComparer.Ordinal);

    private static IEnumerable<JsonElement> Panels(JsonElement container)
    {
        if (!container.TryGetProperty("panels", out var panels))
        {
            yield break;
        }

        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            foreach (var nested in Panels(panel))
            {
                yield return nested;
            }
        }
    }

    [GeneratedRegex(@"^\s*expr:\s*(.+?)\s*$")]
    private static partial Regex RuleExpr();

    [GeneratedRegex(@"^\s*- record:\s*(\S+)\s*$")]
    private static partial Regex RecordLine();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'|\{[^}]*\}")]
    private static partial Regex QuotedOrBraced();

    [GeneratedRegex(@"\b(?:by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SampleName();
}
