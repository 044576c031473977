namespace Soma.Gateway.Tools;

/// <summary><c>GET /v1/tools/stats</c>: the tenant's tool calls over a window, per tool.</summary>
/// <param name="Tenant">The tenant counted (the caller's).</param>
/// <param name="Window">The window as asked, e.g. <c>24h</c>.</param>
/// <param name="From">The window's start (inclusive).</param>
/// <param name="To">The window's end (exclusive): the next whole second after the request.</param>
/// <param name="BucketSeconds">The length of one bucket of each tool's series.</param>
/// <param name="Tools">Each tool with calls in the window, busiest first.</param>
/// <param name="Totals">Every tool's counts added up.</param>
internal sealed record ToolStatsResponse(
    string Tenant, string Window, DateTimeOffset From, DateTimeOffset To, double BucketSeconds, IReadOnlyList<ToolStatsItem> Tools, ToolStatsTotals Totals);

/// <summary>One tool's calls over the window.</summary>
/// <param name="Tool">The tool's name.</param>
/// <param name="Calls">Every call: succeeded + failed + denied.</param>
/// <param name="Succeeded">Calls that returned a result.</param>
/// <param name="Failed">Calls that failed, timeouts included.</param>
/// <param name="Denied">Calls the policy denied (they never ran).</param>
/// <param name="Timeouts">Failed calls over their time limit (<c>tool.timeout</c>).</param>
/// <param name="P50Ms">Median duration of the calls that ran, in ms (exact, nearest rank); null when none ran.</param>
/// <param name="P95Ms">95th percentile duration in ms; null when none ran.</param>
/// <param name="P99Ms">99th percentile duration in ms; null when none ran.</param>
/// <param name="BytesOut">Output bytes, summed.</param>
/// <param name="Series">Calls per bucket, oldest first, every bucket of the window present.</param>
internal sealed record ToolStatsItem(
    string Tool, long Calls, long Succeeded, long Failed, long Denied, long Timeouts, double? P50Ms, double? P95Ms, double? P99Ms, long BytesOut,
    IReadOnlyList<ToolStatsPoint> Series);

/// <summary>One bucket of a tool's series.</summary>
/// <param name="Start">The bucket's start; it lasts <c>bucket_seconds</c>.</param>
/// <param name="Calls">Calls in it.</param>
/// <param name="Failed">Of those, the failed ones.</param>
/// <param name="Denied">Of those, the denied ones.</param>
internal sealed record ToolStatsPoint(DateTimeOffset Start, long Calls, long Failed, long Denied);

/// <summary>Every tool's counts added up (percentiles do not add up, so there are none here).</summary>
internal sealed record ToolStatsTotals(long Calls, long Succeeded, long Failed, long Denied, long Timeouts, long BytesOut);
