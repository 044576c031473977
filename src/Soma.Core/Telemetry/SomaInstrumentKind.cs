namespace Soma.Core.Telemetry;

/// <summary>The kind of a <see cref="SomaInstrument"/>.</summary>
public enum SomaInstrumentKind
{
    /// <summary>A monotonic counter (Prometheus <c>_total</c>).</summary>
    Counter,

    /// <summary>A histogram (Prometheus <c>_bucket</c>, <c>_sum</c>, <c>_count</c>).</summary>
    Histogram,

    /// <summary>An observable gauge, read at each collection.</summary>
    Gauge,
}
