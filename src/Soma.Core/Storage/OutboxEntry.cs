namespace Soma.Core.Storage;

/// <summary>An outbox row with its delivery state.</summary>
/// <param name="Message">What was appended.</param>
/// <param name="Status">Pending, sent or dead-lettered.</param>
/// <param name="Attempts">Delivery attempts so far: every claim counts one.</param>
/// <param name="NextAttemptAt">Not claimable before this time.</param>
/// <param name="LeaseOwner">The claimer holding it, or null.</param>
/// <param name="LeaseExpiresAt">When the claimer's lease runs out; after it the row can be claimed again.</param>
/// <param name="LastError">The error of the last failed delivery, or null.</param>
/// <param name="SentAt">When it was marked sent, or null.</param>
public sealed record OutboxEntry(
    OutboxMessage Message,
    OutboxStatus Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LeaseOwner,
    DateTimeOffset? LeaseExpiresAt,
    string? LastError,
    DateTimeOffset? SentAt)
{
    /// <summary>The longest <see cref="LastError"/> a store keeps; longer errors are cut.</summary>
    public const int MaxErrorLength = 4000;
}
