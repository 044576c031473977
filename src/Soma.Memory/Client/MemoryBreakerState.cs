namespace Soma.Memory.Client;

/// <summary>The state of the memory client's circuit breaker.</summary>
public enum MemoryBreakerState
{
    /// <summary>Calls go through.</summary>
    Closed,

    /// <summary>The break is over; a trial call decides whether the breaker closes or opens again.</summary>
    HalfOpen,

    /// <summary>Calls fail fast without reaching the service.</summary>
    Open,
}
