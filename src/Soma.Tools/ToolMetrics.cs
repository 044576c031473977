namespace Soma.Tools;

/// <summary>The tools component's instruments share one meter.</summary>
public static class ToolMetrics
{
    /// <summary>The meter name (<c>Soma.Tools</c>).</summary>
    public const string MeterName = Soma.Core.Telemetry.SomaMeters.Tools;
}
