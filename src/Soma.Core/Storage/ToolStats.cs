namespace Soma.Core.Storage;

/// <summary>One tool's calls over a window.</summary>
/// <param name="Tool">The tool's name.</param>
/// <param name="Calls">Every call: succeeded + failed + denied.</param>
/// <param name="Succeeded">Calls that ran and returned a result.</param>
/// <param name="Failed">Calls that failed (timeouts included).</param>
/// <param name="Denied">Calls the policy denied.</param>
/// <param name="Timeouts">Failed calls whose error was <c>tool.timeout</c>.</param>
/// <param name="P50Ms">The median duration of the calls that ran (nearest rank), or null when none ran.</param>
/// <param name="P95Ms">The 95th percentile duration, or null.</param>
/// <param name="P99Ms">The 99th percentile duration, or null.</param>
/// <param name="BytesOut">Output bytes of every call, summed.</param>
/// <param name="Series">One entry per bucket of the window, oldest first, empty buckets included.</param>
public sealed record ToolStats(
    string Tool,
    long Calls,
    long Succeeded,
    long Failed,
    long Denied,
    long Timeouts,
    double? P50Ms,
    double? P95Ms,
    double? P99Ms,
    long BytesOut,
    IReadOnlyList<ToolStatsBucket> Series);
