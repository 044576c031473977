using System.Text;
using Soma.Core.Telemetry;
using Soma.Server.Tests.Alerts;

namespace Soma.Server.Tests.Telemetry;

/// <summary>
/// The metrics catalogue in docs/observability.md is generated from <see cref="SomaMeters"/>: this test fails with the
/// block to paste when the docs and the code disagree (or, with <c>SOMA_UPDATE_DOCS=1</c>, rewrites the block).
/// </summary>
public sealed class MetricsCatalogueTests
{
    private const string Begin = "<!-- metrics-catalogue:begin (generated from SomaMeters by MetricsCatalogueTests; SOMA_UPDATE_DOCS=1 rewrites it) -->";
    private const string End = "<!-- metrics-catalogue:end -->";

    [Fact]
    public void The_catalogue_in_the_docs_lists_every_instrument_of_the_registry_as_the_code_declares_it()
    {
        var page = Path.Combine(AlertRules.Root, "docs", "observability.md");
        var text = File.ReadAllText(page);
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{page} has no catalogue block ({Begin} … {End})");
        var current = text[(start + Begin.Length)..end];
        var expected = Catalogue();
        if (current != expected && Environment.GetEnvironmentVariable("SOMA_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(page, text[..(start + Begin.Length)] + expected + text[end..]);
            return;
        }

        Assert.True(current == expected, $"The metrics catalogue in {page} is stale. Replace the block between the markers with:\n{expected}");
    }

    [Fact]
    public void The_registry_has_unique_names_and_every_meter_is_under_the_prefix_the_host_listens_to()
    {
        Assert.True(SomaMeters.All.Count >= 40, $"only {SomaMeters.All.Count} instruments in SomaMeters");
        Assert.Equal(SomaMeters.All.Count, SomaMeters.All.Select(i => i.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(SomaMeters.All.Count, SomaMeters.All.Select(i => i.PrometheusName).Distinct(StringComparer.Ordinal).Count());
        Assert.All(SomaMeters.All, i => Assert.StartsWith(SomaMeters.Prefix, i.Meter, StringComparison.Ordinal));
        Assert.All(SomaMeters.All, i => Assert.StartsWith("soma.", i.Name, StringComparison.Ordinal));
        Assert.All(SomaMeters.All, i => Assert.False(string.IsNullOrWhiteSpace(i.Description), i.Name));
    }

    private static string Catalogue()
    {
        var text = new StringBuilder("\n");
        foreach (var group in SomaMeters.All.GroupBy(i => i.Meter))
        {
            text.Append("\n#### `").Append(group.Key).Append("`\n\n");
            text.Append("| Instrument | Prometheus | Kind | Unit | Description |\n|---|---|---|---|---|\n");
            foreach (var instrument in group)
            {
                var series = instrument.Kind == SomaInstrumentKind.Histogram ? instrument.PrometheusName + "_bucket/_sum/_count" : instrument.PrometheusName;
                text.Append("| `").Append(instrument.Name).Append("` | `").Append(series).Append("` | ")
                    .Append(instrument.Kind.ToString().ToLowerInvariant()).Append(" | ")
                    .Append(instrument.Unit is null ? "—" : "`" + instrument.Unit + "`").Append(" | ")
                    .Append(instrument.Description.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
            }
        }

        return text.Append('\n').ToString();
    }
}
