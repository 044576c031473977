namespace Soma.Contracts.Events;

/// <summary><c>memory.v1</c> <c>memory.recall</c>: A recall and its outcome.</summary>
/// <param name="Outcome">What it found.</param>
/// <param name="Results">Memories returned.</param>
/// <param name="Cache">Whether the cache answered.</param>
/// <param name="LatencyMs">Time to answer.</param>
/// <param name="Error">Why it degraded or failed.</param>
/// <param name="Matches">
/// Why the memories returned matched, counted; absent when the memory service does not say (SomaBrain) or nothing was returned.
/// </param>
public sealed record MemoryRecalled(RecallOutcome Outcome, int Results, CacheOutcome Cache, double LatencyMs, EventError? Error = null, RecallMatches? Matches = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Memory;

    /// <inheritdoc />
    public static string EventType => "memory.recall";
}
