namespace Soma.Core.Storage;

/// <summary>What recording a failed delivery did.</summary>
public enum OutboxFailureOutcome
{
    /// <summary>The row stays pending and is claimable again at the given next-attempt time.</summary>
    RetryScheduled,

    /// <summary>The row reached the configured number of attempts and is dead-lettered with its error.</summary>
    DeadLettered,

    /// <summary>Nothing changed: the caller no longer holds the row's lease (or the row is not pending).</summary>
    NotOwned,
}
