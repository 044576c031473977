using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

/// <summary>Outbox rows for the tests: a fresh id, deduplicated by it unless a key is given.</summary>
internal static class OutboxRows
{
    public static OutboxMessage New(
        string tenant, DateTimeOffset createdAt, string payload = "{}", string topic = "conversation.v1", string? dedupeKey = null, string? partitionKey = null)
    {
        var id = Guid.CreateVersion7();
        return new OutboxMessage
        {
            Id = id,
            TenantId = tenant,
            Topic = topic,
            DedupeKey = dedupeKey ?? id.ToString(),
            PartitionKey = partitionKey,
            Payload = payload,
            CreatedAt = createdAt,
        };
    }
}
