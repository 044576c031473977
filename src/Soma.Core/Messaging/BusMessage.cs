namespace Soma.Core.Messaging;

/// <summary>A message to publish.</summary>
/// <param name="Id">Its id (an event's id): the bus stores one message per id within its duplicate window.</param>
/// <param name="Subject">Where it goes, e.g. <c>soma.acme.agent.runs.v1</c> (see <see cref="EventSubjects"/>).</param>
/// <param name="Payload">The bytes (an event envelope as UTF-8 JSON).</param>
public sealed record BusMessage(Guid Id, string Subject, ReadOnlyMemory<byte> Payload);
