namespace Soma.Core.Storage;

/// <summary>What a dispatcher asks for when it claims outbox rows.</summary>
/// <param name="LeaseOwner">A name unique to this claimer (process and loop); only it may mark the rows.</param>
/// <param name="BatchSize">At most this many rows, oldest first.</param>
/// <param name="LeaseDuration">How long the rows stay reserved for this claimer.</param>
public sealed record OutboxClaimRequest(string LeaseOwner, int BatchSize, TimeSpan LeaseDuration)
{
    /// <summary>Only this tenant's rows, or every tenant's when null.</summary>
    public string? TenantId { get; init; }

    /// <summary>Only rows of these topics, or every topic when null.</summary>
    public IReadOnlyCollection<string>? Topics { get; init; }

    /// <summary>
    /// When true, a row with a partition key is claimed only while no other pending row of its partition is leased or
    /// waiting for a later attempt: a partition is then delivered in order even when a claimer died holding its first
    /// rows (their lease has yet to run out) or an earlier row was refused and backs off. Default false.
    /// </summary>
    public bool InPartitionOrder { get; init; }

    /// <summary>
    /// Rows this owner delivered after its previous claim, marked sent in this claim's own transaction before it claims
    /// (one commit for both; <see cref="IOutbox.MarkSentAsync"/> without a commit of its own). Rows no longer leased to the
    /// owner are left as they are, as by <see cref="IOutbox.MarkSentAsync"/>. A marked row no longer holds its partition
    /// back, so the claim can hand out the partition's next rows.
    /// </summary>
    public IReadOnlyCollection<Guid>? Acknowledged { get; init; }

    /// <summary>Throws for a request no store can serve: no owner, a batch below 1, a lease that is not positive.</summary>
    /// <exception cref="ArgumentException">The request is not valid.</exception>
    public void EnsureValid()
    {
        ArgumentException.ThrowIfNullOrEmpty(LeaseOwner);
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LeaseDuration, TimeSpan.Zero);
    }
}
