namespace Soma.Memory.Client;

/// <summary>How well the memory service is reachable, as the health monitor sees it.</summary>
public enum MemoryMode
{
    /// <summary>Healthy and fast.</summary>
    Normal,

    /// <summary>Answering, but slow, reporting itself degraded, or failing some calls.</summary>
    Degraded,

    /// <summary>Not answering its probe, reporting itself critical, or the breaker is open.</summary>
    Down,
}
