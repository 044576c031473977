namespace Soma.Contracts.Events;

/// <summary>What became of a memory link.</summary>
public enum LinkOutcome
{
    /// <summary>Linked by the memory service.</summary>
    Linked,

    /// <summary>Queued in the outbox.</summary>
    Queued,

    /// <summary>Failed for good.</summary>
    Failed,
}
