namespace Soma.Memory;

/// <summary>The memory component's instruments share one meter.</summary>
public static class MemoryMetrics
{
    /// <summary>The meter name (<c>Soma.Memory</c>).</summary>
    public const string MeterName = Soma.Core.Telemetry.SomaMeters.Memory;
}
