namespace Soma.Core.Storage;

/// <summary>Building outbox rows.</summary>
public static class OutboxMessages
{
    /// <summary>The outbox row of an event: topic = its schema, deduplicated by its id, ordered within <paramref name="partitionKey"/>.</summary>
    public static OutboxMessage For<TData>(Contracts.Events.EventEnvelope<TData> envelope, string payload, string partitionKey)
        where TData : Contracts.Events.IEventData
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return new OutboxMessage
        {
            Id = envelope.Id,
            TenantId = envelope.TenantId,
            Topic = TData.SchemaName,
            DedupeKey = envelope.Id.ToString(),
            PartitionKey = partitionKey,
            Payload = payload,
            CreatedAt = envelope.Time,
        };
    }

    /// <summary>
    /// The outbox row of a conversation event of session <paramref name="sessionId"/>, which the session's log stores
    /// too: delivered in the session's order, but not listed by partition (<see cref="OutboxMessage.InPartitionLog"/>).
    /// </summary>
    public static OutboxMessage ForSessionEvent<TData>(Contracts.Events.EventEnvelope<TData> envelope, string payload, Guid sessionId)
        where TData : Contracts.Events.IEventData =>
        For(envelope, payload, sessionId.ToString()) with { InPartitionLog = false };
}
