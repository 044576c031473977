namespace Soma.Core.Messaging;

/// <summary>What publishing stored.</summary>
/// <param name="Sequence">The message's position in the bus's log (for a duplicate, the original's).</param>
/// <param name="Duplicate">True when a message with the same id was already stored: nothing new was.</param>
public sealed record BusPublishResult(ulong Sequence, bool Duplicate);
