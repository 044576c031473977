namespace Soma.Core.Storage;

/// <summary>Where an outbox row is in its life.</summary>
public enum OutboxStatus
{
    /// <summary>Waiting to be delivered (possibly claimed under a lease, possibly waiting for its next attempt).</summary>
    Pending = 0,

    /// <summary>Delivered.</summary>
    Sent = 1,

    /// <summary>Failed too many times; kept with its last error for an operator.</summary>
    DeadLettered = 2,
}
