using System.Diagnostics.Metrics;
using Soma.Core.Telemetry;

namespace Soma.Agents.Turns;

/// <summary>The chat turn's instruments (<see cref="SomaMeters.Agents"/>): how long a turn took, and how long until its first answer delta.</summary>
public sealed class TurnMetrics
{
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _firstDelta;

    /// <summary>Creates the instruments on the <see cref="SomaMeters.Agents"/> meter.</summary>
    public TurnMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(SomaMeters.Agents);
        _duration = SomaMeters.TurnDuration.CreateHistogram<double>(meter);
        _firstDelta = SomaMeters.TurnTimeToFirstDelta.CreateHistogram<double>(meter);
    }

    /// <summary>Records a turn that ended (<paramref name="outcome"/>: succeeded, failed or cancelled), <paramref name="elapsed"/> after its message was accepted.</summary>
    public void Ended(string outcome, TimeSpan elapsed) =>
        _duration.Record(Math.Max(0, elapsed.TotalMilliseconds), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Records the first answer delta of a turn, <paramref name="elapsed"/> after its message was accepted.</summary>
    public void FirstDelta(TimeSpan elapsed) => _firstDelta.Record(Math.Max(0, elapsed.TotalMilliseconds));
}
