namespace Soma.Contracts.Events;

/// <summary>What a recall found.</summary>
public enum RecallOutcome
{
    /// <summary>Results found.</summary>
    Hit,

    /// <summary>Nothing found.</summary>
    Miss,

    /// <summary>Answered from the cache while the service is down.</summary>
    Degraded,

    /// <summary>Failed.</summary>
    Failed,
}
