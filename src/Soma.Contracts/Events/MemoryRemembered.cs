namespace Soma.Contracts.Events;

/// <summary><c>memory.v1</c> <c>memory.remember</c>: A memory write and its outcome.</summary>
/// <param name="Key">Idempotent key of the memory.</param>
/// <param name="Outcome">What became of it.</param>
/// <param name="MemoryId">Id the service gave it.</param>
/// <param name="Bytes">Payload size.</param>
/// <param name="Error">Why it was queued or failed.</param>
public sealed record MemoryRemembered(string Key, RememberOutcome Outcome, string? MemoryId = null, long? Bytes = null, EventError? Error = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Memory;

    /// <inheritdoc />
    public static string EventType => "memory.remember";
}
