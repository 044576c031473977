namespace Soma.Core.Storage;

/// <summary>
/// Puts together what a store's two statistics queries return (totals and percentiles per tool; calls per tool and
/// bucket) into <see cref="ToolStats"/>, with every bucket of the window present, so both engines answer alike.
/// </summary>
/// <param name="query">The query the rows answer.</param>
public sealed class ToolStatsBuilder(ToolStatsQuery query)
{
    private readonly Dictionary<string, ToolStats> _totals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ToolStatsBucket[]> _series = new(StringComparer.Ordinal);

    /// <summary>Adds one tool's totals and percentiles.</summary>
    public void AddTotals(string tool, long calls, long succeeded, long failed, long denied, long timeouts, long bytesOut, double? p50Ms, double? p95Ms, double? p99Ms) =>
        _totals[tool] = new ToolStats(tool, calls, succeeded, failed, denied, timeouts, p50Ms, p95Ms, p99Ms, bytesOut, []);

    /// <summary>Adds one tool's counts in bucket number <paramref name="bucket"/> (from 0); a number outside the window is ignored.</summary>
    public void AddBucket(string tool, long bucket, long calls, long failed, long denied)
    {
        if (bucket < 0 || bucket >= query.Buckets)
        {
            return;
        }

        if (!_series.TryGetValue(tool, out var series))
        {
            series = EmptySeries();
            _series[tool] = series;
        }

        var i = (int)bucket;
        var existing = series[i];
        series[i] = existing with { Calls = existing.Calls + calls, Failed = existing.Failed + failed, Denied = existing.Denied + denied };
    }

    /// <summary>Every tool with calls, busiest first, ties by name.</summary>
    public IReadOnlyList<ToolStats> Build() =>
        [.. _totals.Values
            .OrderByDescending(t => t.Calls).ThenBy(t => t.Tool, StringComparer.Ordinal)
            .Select(t => t with { Series = _series.TryGetValue(t.Tool, out var series) ? series : EmptySeries() })];

    private ToolStatsBucket[] EmptySeries()
    {
        var width = query.BucketWidth;
        return [.. Enumerable.Range(0, query.Buckets).Select(i => new ToolStatsBucket(query.From + (width * i), 0, 0, 0))];
    }
}
