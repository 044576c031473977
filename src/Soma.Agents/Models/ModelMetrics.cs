using System.ClientModel;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Soma.Core.Telemetry;

namespace Soma.Agents.Models;

/// <summary>The model router's instruments (<see cref="SomaMeters.Agents"/>): calls, tokens, latency, errors by kind, breakers.</summary>
internal sealed class ModelMetrics
{
    private readonly Counter<long> _calls;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;

    public ModelMetrics(IMeterFactory meterFactory, Func<IEnumerable<(string Model, CircuitState State)>> breakers)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(SomaMeters.Agents);
        _calls = SomaMeters.ModelCalls.CreateCounter<long>(meter);
        _tokens = SomaMeters.ModelTokens.CreateCounter<long>(meter);
        _duration = SomaMeters.ModelDuration.CreateHistogram<double>(meter);
        _errors = SomaMeters.ModelErrors.CreateCounter<long>(meter);
        SomaMeters.ModelBreakerState.CreateObservableGauge(meter, () => breakers().Select(b => new Measurement<int>(
            b.State switch { CircuitState.Closed => 0, CircuitState.HalfOpen => 1, _ => 2 },
            new KeyValuePair<string, object?>("model", b.Model))));
    }

    public void Succeeded(string model, TimeSpan elapsed, long inputTokens, long outputTokens)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        _calls.Add(1, tag, new KeyValuePair<string, object?>("outcome", "ok"));
        _duration.Record(elapsed.TotalMilliseconds, tag, new KeyValuePair<string, object?>("outcome", "ok"));
        _tokens.Add(inputTokens, tag, new KeyValuePair<string, object?>("direction", "input"));
        _tokens.Add(outputTokens, tag, new KeyValuePair<string, object?>("direction", "output"));
    }

    public void Failed(string model, TimeSpan elapsed, string kind)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        _calls.Add(1, tag, new KeyValuePair<string, object?>("outcome", "failed"));
        _duration.Record(elapsed.TotalMilliseconds, tag, new KeyValuePair<string, object?>("outcome", "failed"));
        _errors.Add(1, tag, new KeyValuePair<string, object?>("kind", kind));
    }

    /// <summary>A short, bounded label for why a call failed (never exception text: it would make unbounded series).</summary>
    public static string Kind(Exception ex) => ex switch
    {
        BrokenCircuitException => "breaker_open",
        TimeoutRejectedException => "timeout",
        ClientResultException { Status: 429 } => "http_429",
        ClientResultException { Status: >= 500 } => "http_5xx",
        ClientResultException { Status: >= 400 } => "rejected",
        ClientResultException or HttpRequestException or IOException => "connection",
        JsonException => "malformed",
        _ => "other",
    };
}
