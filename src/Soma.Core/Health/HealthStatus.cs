namespace Soma.Core.Health;

/// <summary>How well a component is working, as reported by <c>/v1/health</c>.</summary>
public enum HealthStatus
{
    /// <summary>Working as configured.</summary>
    Normal,

    /// <summary>Working, but slow or partially failing; the platform still accepts work.</summary>
    Degraded,

    /// <summary>Not working; work that needs it waits durably.</summary>
    Down,
}
