namespace Soma.Core.Storage;

/// <summary>
/// The transactional outbox: work appended in the caller's transaction and delivered after it commits,
/// claimed under time-limited leases so that many dispatchers never deliver the same row at once.
/// </summary>
public interface IOutbox
{
    /// <summary>
    /// Appends <paramref name="message"/> inside <paramref name="transaction"/>. Returns false, adding nothing,
    /// when a row with the same (tenant, topic, dedupe key) already exists.
    /// </summary>
    Task<bool> AppendAsync(IStoreTransaction transaction, OutboxMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <paramref name="messages"/> inside <paramref name="transaction"/>, as <see cref="AppendAsync"/> appends
    /// each (a row whose tenant, topic and dedupe key exist is skipped), for callers that do not ask which were new. An
    /// engine may send them together: PostgreSQL in one round trip.
    /// </summary>
    async Task AppendManyAsync(IStoreTransaction transaction, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            await AppendAsync(transaction, message, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Claims up to <see cref="OutboxClaimRequest.BatchSize"/> pending rows, oldest first, whose next attempt is due and
    /// which no live lease holds, leasing them to the claimer and counting one attempt each. Concurrent claimers never
    /// receive the same row. A row whose lease expired after <see cref="OutboxOptions.MaxAttempts"/> attempts is
    /// dead-lettered instead of being handed out again.
    /// </summary>
    Task<IReadOnlyList<OutboxEntry>> ClaimAsync(OutboxClaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>Marks the rows sent, for those the owner still leases. Returns how many were marked.</summary>
    Task<int> MarkSentAsync(string leaseOwner, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a failed delivery: keeps <paramref name="failure"/>, releases the lease and schedules the next attempt, or
    /// dead-letters the row when it has been attempted <see cref="OutboxOptions.MaxAttempts"/> times. Answers
    /// <see cref="OutboxFailureOutcome.NotOwned"/> when the caller no longer holds the lease.
    /// </summary>
    Task<OutboxFailureOutcome> MarkFailedAsync(string leaseOwner, Guid id, string failure, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Dead-letters a leased row at once, keeping <paramref name="failure"/>: for a row that no retry can deliver (an event
    /// its schema refuses). Returns false, changing nothing, when the caller no longer holds the lease.
    /// </summary>
    Task<bool> DeadLetterAsync(string leaseOwner, Guid id, string failure, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> rows that were sent before <paramref name="sentBefore"/>, oldest first, and
    /// returns how many. Pending and dead-lettered rows are never deleted.
    /// </summary>
    Task<int> PruneSentAsync(DateTimeOffset sentBefore, int limit, CancellationToken cancellationToken = default);

    /// <summary>Rows of some topics in id order, whatever their delivery state (see <see cref="OutboxQuery"/>).</summary>
    Task<IReadOnlyList<OutboxEntry>> ListAsync(OutboxQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives leased rows back without counting the claim as an attempt: for a delivery the peer never took (it is down,
    /// its breaker is open, it asked to slow down), which must not bring a row closer to being dead-lettered. The rows
    /// become claimable at <paramref name="nextAttemptAt"/>. Returns how many the owner still leased.
    /// </summary>
    Task<int> ReleaseAsync(string leaseOwner, IReadOnlyCollection<Guid> ids, DateTimeOffset nextAttemptAt, string? failure, CancellationToken cancellationToken = default);

    /// <summary>The row, or null when it does not exist for this tenant.</summary>
    Task<OutboxEntry?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Pending and dead-lettered counts and the oldest pending age, per tenant that has any.</summary>
    Task<IReadOnlyList<OutboxDepth>> GetDepthAsync(CancellationToken cancellationToken = default);

    /// <summary>As <see cref="GetDepthAsync(CancellationToken)"/>, counting only rows of these <paramref name="topics"/>.</summary>
    Task<IReadOnlyList<OutboxDepth>> GetDepthAsync(IReadOnlyCollection<string> topics, CancellationToken cancellationToken = default);

    /// <summary>The tenant's dead-lettered rows, oldest first.</summary>
    Task<IReadOnlyList<OutboxEntry>> ListDeadLetteredAsync(string tenantId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The tenant's rows with this partition key (whatever their delivery state), in id order, after
    /// <paramref name="after"/> when given: the replayable event log of one run, or a session's memory writes. Rows
    /// appended with <see cref="OutboxMessage.InPartitionLog"/> false are not listed.
    /// </summary>
    Task<IReadOnlyList<OutboxEntry>> ListPartitionAsync(string tenantId, string partitionKey, Guid? after, int limit, CancellationToken cancellationToken = default);
}
