using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Soma.Memory.Tests.Cache;

/// <summary>Records what one <see cref="IMeterFactory"/>'s meters measure (tests in parallel use their own factories).</summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    public MetricRecorder(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.Start();
    }

    public double Sum(string instrument, string? tag = null, string? tagValue = null) =>
        _measurements.Where(m => m.Instrument == instrument && (tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, tagValue)))).Sum(m => m.Value);

    public int Count(string instrument, string? tag = null, string? tagValue = null) =>
        _measurements.Count(m => m.Instrument == instrument && (tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, tagValue))));

    public double Max(string instrument) =>
        _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value).DefaultIfEmpty(0).Max();

    public void Dispose() => _listener.Dispose();
}
