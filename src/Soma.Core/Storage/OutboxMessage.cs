namespace Soma.Core.Storage;

/// <summary>Something that must happen after a commit (an event publish, a memory write), stored in the same transaction.</summary>
public sealed record OutboxMessage
{
    /// <summary>UUIDv7; rows are claimed in id order.</summary>
    public required Guid Id { get; init; }

    /// <summary>The owning tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Where it goes, e.g. <c>events.conversation.v1</c> or <c>memory.remember</c>.</summary>
    public required string Topic { get; init; }

    /// <summary>Unique per (tenant, topic): appending the same key again adds nothing.</summary>
    public required string DedupeKey { get; init; }

    /// <summary>Rows with the same partition key (e.g. a session id) are meant to be delivered in id order; null for none.</summary>
    public string? PartitionKey { get; init; }

    /// <summary>
    /// Whether <see cref="IOutbox.ListPartitionAsync"/> lists it with its partition (the default). False for a message whose
    /// partition's history is read from elsewhere, such as a session's conversation events, which its session log keeps:
    /// the store then writes no entry for it into the partition index, an entry that would land in a different place of
    /// that index for each active session. Its delivery, in partition order, is unchanged.
    /// </summary>
    public bool InPartitionLog { get; init; } = true;

    /// <summary>The payload as JSON text.</summary>
    public required string Payload { get; init; }

    /// <summary>When it was appended.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}
