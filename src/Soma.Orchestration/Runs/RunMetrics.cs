using System.Diagnostics.Metrics;
using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Core.Telemetry;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Counts runs and times runs and steps (<see cref="SomaMeters.Orchestration"/>) from the run and step events, once the
/// transaction that commits them has committed: a commit that is fenced or rolled back measures nothing.
/// </summary>
internal sealed class RunMetrics : IRunEventObserver
{
    private readonly TimeProvider _time;
    private readonly Counter<long> _started;
    private readonly Counter<long> _completed;
    private readonly Histogram<double> _runDuration;
    private readonly Histogram<double> _stepDuration;
    private readonly Counter<long> _retries;

    public RunMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        var meter = meterFactory.Create(SomaMeters.Orchestration);
        _time = time;
        _started = SomaMeters.RunStarted.CreateCounter<long>(meter);
        _completed = SomaMeters.RunCompleted.CreateCounter<long>(meter);
        _runDuration = SomaMeters.RunDuration.CreateHistogram<double>(meter);
        _stepDuration = SomaMeters.StepDuration.CreateHistogram<double>(meter);
        _retries = SomaMeters.StepRetries.CreateCounter<long>(meter);
    }

    // Counts only once committed; it never writes.
    public bool WritesFor(RunRecord run) => false;

    public Task OnEventAsync(IStoreTransaction transaction, RunRecord run, Guid eventId, string eventType, string payload, CancellationToken cancellationToken)
    {
        var workflow = new KeyValuePair<string, object?>("workflow", run.Workflow);
        if (eventType == RunStarted.EventType)
        {
            transaction.OnCommitted(() => _started.Add(1, workflow));
        }
        else if (eventType == RunSucceeded.EventType || eventType == RunFailed.EventType || eventType == RunCancelled.EventType)
        {
            var outcome = new KeyValuePair<string, object?>("outcome", eventType["run.".Length..]);
            var elapsed = Math.Max(0, (_time.GetUtcNow() - run.CreatedAt).TotalMilliseconds);
            transaction.OnCommitted(() =>
            {
                _completed.Add(1, workflow, outcome);
                _runDuration.Record(elapsed, workflow, outcome);
            });
        }
        else if (eventType == StepSucceeded.EventType || eventType == StepRetrying.EventType || eventType == StepFailed.EventType)
        {
            var (step, duration) = StepOf(payload);
            var stepTag = new KeyValuePair<string, object?>("step", step);
            var stepOutcome = new KeyValuePair<string, object?>("outcome", eventType["step.".Length..]);
            var retrying = eventType == StepRetrying.EventType;
            transaction.OnCommitted(() =>
            {
                _stepDuration.Record(duration, workflow, stepTag, stepOutcome);
                if (retrying)
                {
                    _retries.Add(1, workflow, stepTag);
                }
            });
        }

        return Task.CompletedTask;
    }

    // The step's definition id (bounded, unlike the step id with its loop iteration) and the attempt's duration.
    private static (string Step, double DurationMs) StepOf(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        if (!document.RootElement.TryGetProperty("data", out var data))
        {
            return ("unknown", 0);
        }

        var step = data.TryGetProperty("step_name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()! : "unknown";
        var duration = data.TryGetProperty("duration_ms", out var ms) && ms.TryGetDouble(out var value) ? value : 0;
        return (step, duration);
    }
}
