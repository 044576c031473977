using System.Diagnostics.Metrics;
using System.Numerics;

namespace Soma.Core.Telemetry;

/// <summary>
/// One instrument of the <see cref="SomaMeters"/> registry: its meter, OpenTelemetry name, kind, unit and description.
/// Call sites create the instrument through it, so the name, unit and description in <c>/metrics</c> and in the metrics
/// catalogue of docs/observability.md are the same text.
/// </summary>
/// <param name="Meter">The meter that owns it, e.g. <c>Soma.Outbox</c>.</param>
/// <param name="Name">The OpenTelemetry name, e.g. <c>soma.outbox.oldest_age</c>.</param>
/// <param name="Kind">Counter, histogram or gauge.</param>
/// <param name="Unit">The UCUM unit (<c>ms</c>, <c>s</c>, <c>By</c>) or an annotation in braces (<c>{event}</c>), if any.</param>
/// <param name="Description">What it measures and its tags.</param>
/// <param name="Buckets">Explicit histogram bucket boundaries, when the SDK's defaults do not fit (an SLO threshold must be a boundary).</param>
public sealed record SomaInstrument(string Meter, string Name, SomaInstrumentKind Kind, string? Unit, string Description, IReadOnlyList<double>? Buckets = null)
{
    /// <summary>
    /// The series name the Prometheus exporter gives it: dots become underscores, a unit becomes a suffix
    /// (<c>ms</c> → <c>_milliseconds</c>, <c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>, <c>…/s</c> → <c>_per_second</c>; braces are dropped), and a
    /// counter ends in <c>_total</c>. Histograms add <c>_bucket</c>, <c>_sum</c> and <c>_count</c> to it.
    /// </summary>
    public string PrometheusName
    {
        get
        {
            var name = Name.Replace('.', '_');
            var suffix = Unit switch
            {
                "ms" => "_milliseconds",
                "s" => "_seconds",
                "By" => "_bytes",
                _ when Unit?.EndsWith("/s", StringComparison.Ordinal) == true => "_per_second",
                _ => string.Empty,
            };
            if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal))
            {
                name += suffix;
            }

            return Kind == SomaInstrumentKind.Counter ? name + "_total" : name;
        }
    }

    /// <summary>Creates the counter on <paramref name="meter"/>.</summary>
    public Counter<T> CreateCounter<T>(Meter meter)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(meter);
        Expect(SomaInstrumentKind.Counter);
        return meter.CreateCounter<T>(Name, Unit, Description);
    }

    /// <summary>Creates the histogram on <paramref name="meter"/>, with <see cref="Buckets"/> as advice when set.</summary>
    public Histogram<T> CreateHistogram<T>(Meter meter)
        where T : struct, INumberBase<T>
    {
        ArgumentNullException.ThrowIfNull(meter);
        Expect(SomaInstrumentKind.Histogram);
        var advice = Buckets is null ? null : new InstrumentAdvice<T> { HistogramBucketBoundaries = [.. Buckets.Select(T.CreateChecked)] };
        return meter.CreateHistogram(Name, Unit, Description, tags: null, advice);
    }

    /// <summary>Creates the gauge on <paramref name="meter"/>, observing one value.</summary>
    public ObservableGauge<T> CreateObservableGauge<T>(Meter meter, Func<T> observe)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(meter);
        Expect(SomaInstrumentKind.Gauge);
        return meter.CreateObservableGauge(Name, observe, Unit, Description);
    }

    /// <summary>Creates the gauge on <paramref name="meter"/>, observing tagged values.</summary>
    public ObservableGauge<T> CreateObservableGauge<T>(Meter meter, Func<IEnumerable<Measurement<T>>> observe)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(meter);
        Expect(SomaInstrumentKind.Gauge);
        return meter.CreateObservableGauge(Name, observe, Unit, Description);
    }

    private void Expect(SomaInstrumentKind kind)
    {
        if (Kind != kind)
        {
            throw new InvalidOperationException($"{Name} is a {Kind} in SomaMeters, not a {kind}.");
        }
    }
}
