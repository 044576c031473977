namespace Soma.Core.Messaging;

/// <summary>A message handed to a consumer.</summary>
public abstract class BusDelivery
{
    /// <summary>The message id it was published with.</summary>
    public required Guid Id { get; init; }

    /// <summary>The subject it was published to.</summary>
    public required string Subject { get; init; }

    /// <summary>The bytes.</summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Its position in the bus's log.</summary>
    public required ulong Sequence { get; init; }

    /// <summary>How many times it has been delivered, this time included (1 the first time).</summary>
    public required int DeliveryCount { get; init; }

    /// <summary>When the bus stored it.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Acknowledges the message: the consumer handled it and it is not delivered again.</summary>
    public abstract ValueTask AckAsync(CancellationToken cancellationToken = default);
}
