using System.Diagnostics.CodeAnalysis;
using NATS.Client.JetStream;
using Soma.Core.Messaging;

namespace Soma.Messaging.Nats;

/// <summary>A message of a JetStream consumer; acknowledging it acks the JetStream message (durable consumers only).</summary>
internal sealed class NatsDelivery : BusDelivery
{
    private const string MessageIdHeader = "Nats-Msg-Id";

    private static readonly AckOpts ConfirmedAck = new() { DoubleAck = true };

    private readonly INatsJSMsg<byte[]> _message;
    private readonly bool _acknowledged;

    [SetsRequiredMembers]
    public NatsDelivery(INatsJSMsg<byte[]> message, bool acknowledged)
    {
        _message = message;
        _acknowledged = acknowledged;
        var metadata = message.Metadata;
        Id = message.Headers is { } headers && headers.TryGetValue(MessageIdHeader, out var id) && Guid.TryParse(id.ToString(), out var parsed)
            ? parsed
            : Guid.Empty;
        Subject = message.Subject;
        Payload = message.Data ?? [];
        Sequence = metadata?.Sequence.Stream ?? 0;
        DeliveryCount = (int)Math.Min(int.MaxValue, metadata?.NumDelivered ?? 1);
        Timestamp = metadata?.Timestamp ?? DateTimeOffset.MinValue;
    }

    // The double ack waits for the server's confirmation, so a message acknowledged before the subscriber stops is not
    // delivered again to the next one.
    public override async ValueTask AckAsync(CancellationToken cancellationToken = default)
    {
        if (!_acknowledged)
        {
            return;
        }

        try
        {
            await _message.AckAsync(ConfirmedAck, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (NatsErrors.IsNatsFailure(ex, cancellationToken))
        {
            throw NatsErrors.Translate(ex, "acknowledge a message");
        }
    }
}
