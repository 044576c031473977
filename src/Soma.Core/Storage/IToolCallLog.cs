namespace Soma.Core.Storage;

/// <summary>
/// One row per finished tool call (succeeded, failed or denied), written in the transaction that commits the call's
/// <c>agent.tools.v1</c> events, and the per-tool statistics over a time window that <c>GET /v1/tools/stats</c> shows.
/// </summary>
public interface IToolCallLog
{
    /// <summary>Records one finished call inside <paramref name="transaction"/>.</summary>
    Task RecordAsync(IStoreTransaction transaction, ToolCallRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// The tenant's calls in <paramref name="query"/>'s window, per tool, busiest tool first (ties by name). Percentiles
    /// are exact (nearest rank) over the calls that ran; denied calls count as calls but have no duration.
    /// </summary>
    Task<IReadOnlyList<ToolStats>> StatsAsync(string tenantId, ToolStatsQuery query, CancellationToken cancellationToken = default);
}
