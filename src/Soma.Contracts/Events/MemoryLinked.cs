namespace Soma.Contracts.Events;

/// <summary><c>memory.v1</c> <c>memory.link</c>: A link between two memories and its outcome.</summary>
/// <param name="From">Source memory key.</param>
/// <param name="To">Target memory key.</param>
/// <param name="Relation">Kind of link.</param>
/// <param name="Outcome">What became of it.</param>
/// <param name="Error">Why it was queued or failed.</param>
public sealed record MemoryLinked(string From, string To, string Relation, LinkOutcome Outcome, EventError? Error = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Memory;

    /// <inheritdoc />
    public static string EventType => "memory.link";
}
