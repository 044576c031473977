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
}
