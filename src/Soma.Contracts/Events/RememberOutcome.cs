namespace Soma.Contracts.Events;

/// <summary>What became of a memory write.</summary>
public enum RememberOutcome
{
    /// <summary>Stored by the memory service.</summary>
    Stored,

    /// <summary>Queued in the outbox while the service is unavailable.</summary>
    Queued,

    /// <summary>Failed for good.</summary>
    Failed,
}
