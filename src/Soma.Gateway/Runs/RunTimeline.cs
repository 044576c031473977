using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Checkpoints;

namespace Soma.Gateway.Runs;

/// <summary>
/// Builds a run's timeline from the events the worker stored in the run's outbox partition. A step's events are
/// committed with its outcome, so an attempt's end is the commit's time and its start that minus its duration (the
/// latest checkpoint has the exact start of each step's last attempt). An attempt without an outcome event asked for
/// input: its wait lasts until the run is resumed or ends.
/// </summary>
internal static class RunTimeline
{
    // A run with more events than this is drawn from its first ones; a chat turn has a few hundred at most.
    private const int MaxEvents = 20_000;

    public static async Task<RunTimelineResponse> ReadAsync(
        RunRecord run, IOutbox outbox, ICheckpointStore checkpoints, DateTimeOffset now, TraceLinkOptions traceLinks, CancellationToken cancellationToken)
    {
        var events = new List<string>();
        Guid? after = null;
        while (events.Count < MaxEvents)
        {
            var batch = await outbox.ListPartitionAsync(run.TenantId, run.Id.ToString(), after, PageRequest.MaxLimit, cancellationToken);
            events.AddRange(batch.Select(e => e.Message.Payload));
            if (batch.Count < PageRequest.MaxLimit)
            {
                break;
            }

            after = batch[^1].Message.Id;
        }

        var latest = await checkpoints.GetLatestAsync(run.TenantId, run.Id, cancellationToken) is { } stored
            ? CheckpointFormat.Read(stored.FormatVersion, stored.State)
            : null;
        return Build(run, events, latest, now, traceLinks);
    }

    public static RunTimelineResponse Build(RunRecord run, IEnumerable<string> payloads, RunCheckpoint? latest, DateTimeOffset now, TraceLinkOptions traceLinks)
    {
        var steps = new Dictionary<string, StepDraft>(StringComparer.Ordinal);
        var resumes = new List<DateTimeOffset>();
        var waits = new List<(DateTimeOffset At, string WaitingFor)>();
        var traceId = TraceIdOf(run.TraceParent);
        foreach (var payload in payloads)
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            var type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type is null || !root.TryGetProperty("time", out var timeValue) || !timeValue.TryGetDateTimeOffset(out var time))
            {
                continue;
            }

            if (traceId is null && root.TryGetProperty("trace_id", out var trace) && trace.GetString() is { Length: 32 } id)
            {
                traceId = id;
            }

            var data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
            if (type == StepStarted.EventType)
            {
                Step(steps, data).Attempts.Add(new AttemptDraft(Int(data, "attempt") ?? 1, time));
            }
            else if (type == StepSucceeded.EventType || type == StepRetrying.EventType || type == StepFailed.EventType)
            {
                var attempt = Step(steps, data).Attempt(Int(data, "attempt") ?? 1, time);
                attempt.Outcome = type[5..];
                attempt.DurationMs = Double(data, "duration_ms");
                attempt.Error = ErrorOf(data);
                attempt.NextAttemptAt = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("next_attempt_at", out var next) && next.TryGetDateTimeOffset(out var due) ? due : null;
            }
            else if (type == RunWaiting.EventType)
            {
                waits.Add((time, data.ValueKind == JsonValueKind.Object && data.TryGetProperty("waiting_for", out var w) ? w.GetString() ?? "" : ""));
            }
            else if (type == RunResumed.EventType || type == RunSucceeded.EventType || type == RunFailed.EventType || type == RunCancelled.EventType)
            {
                resumes.Add(time);
            }
        }

        var built = steps.Values.Select(s => s.Build(latest?.Step(s.Key), resumes, waits)).ToList();
        foreach (var (key, record) in latest?.Steps ?? RunCheckpoint.Empty.Steps)
        {
            if (steps.ContainsKey(key))
            {
                continue;
            }

            // Skipped steps have no events; a step whose events were pruned with the outbox keeps its last attempt.
            var status = record.Status.ToString().ToLowerInvariant();
            IReadOnlyList<TimelineAttempt> last = record is { StartedAt: { } from, EndedAt: { } to, Attempts: > 0 } && record.Status != StepStatus.Skipped
                ? [new TimelineAttempt(record.Attempts, from, to, record.DurationMs, status, record.Error is { } e ? new TimelineError(e.Code, e.Message, e.Retryable) : null)]
                : [];
            built.Add(new TimelineStep(key, NameOf(key), null, status, last, []));
        }

        return new RunTimelineResponse(
            run.Id, run.Workflow, run.WorkflowVersion, run.State.ToString().ToLowerInvariant(), run.CreatedAt, run.EndedAt, now, run.WaitingFor,
            traceId, traceLinks.LinkFor(traceId),
            [.. built.OrderBy(s => s.Attempts.Count == 0 ? DateTimeOffset.MaxValue : s.Attempts[0].StartedAt).ThenBy(s => s.Key, StringComparer.Ordinal)]);
    }

    private static StepDraft Step(Dictionary<string, StepDraft> steps, JsonElement data)
    {
        var key = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("step_id", out var id) ? id.GetString() ?? "?" : "?";
        if (!steps.TryGetValue(key, out var step))
        {
            var name = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("step_name", out var n) ? n.GetString() : null;
            step = new StepDraft(key, name ?? NameOf(key), Int(data, "loop_iteration"));
            steps[key] = step;
        }

        return step;
    }

    // "tools[2]/call" → "call"; a key without a loop is the step's id.
    private static string NameOf(string key) => key[(key.LastIndexOf('/') + 1)..];

    private static int? Int(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.TryGetInt32(out var number) ? number : null;

    private static double? Double(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.TryGetDouble(out var number) ? number : null;

    private static TimelineError? ErrorOf(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
            ? new TimelineError(
                error.TryGetProperty("code", out var code) ? code.GetString() ?? "" : "",
                error.TryGetProperty("message", out var message) ? message.GetString() ?? "" : "",
                error.TryGetProperty("retryable", out var retryable) && retryable.ValueKind == JsonValueKind.True)
            : null;

    private static string? TraceIdOf(string? traceParent) =>
        traceParent is { Length: 55 } && traceParent[2] == '-' && traceParent[35] == '-' ? traceParent[3..35] : null;

    private sealed class StepDraft(string key, string name, int? loopIteration)
    {
        public string Key => key;

        public List<AttemptDraft> Attempts { get; } = [];

        public AttemptDraft Attempt(int number, DateTimeOffset time)
        {
            var attempt = Attempts.LastOrDefault(a => a.Number == number);
            if (attempt is null)
            {
                attempt = new AttemptDraft(number, time);
                Attempts.Add(attempt);
            }

            return attempt;
        }

        public TimelineStep Build(StepRecord? record, List<DateTimeOffset> resumes, List<(DateTimeOffset At, string WaitingFor)> waits)
        {
            var attempts = new List<TimelineAttempt>();
            for (var i = 0; i < Attempts.Count; i++)
            {
                var draft = Attempts[i];
                var duration = draft.DurationMs;
                var started = duration is { } ms ? draft.EndedAt.AddMilliseconds(-ms) : draft.EndedAt;

                // The checkpoint holds the exact start of the last attempt (and the only record of a waiting attempt's).
                if (i == Attempts.Count - 1 && record is { StartedAt: { } exact } && record.Attempts == draft.Number && exact <= draft.EndedAt)
                {
                    started = exact;
                    duration ??= record.DurationMs;
                }

                attempts.Add(new TimelineAttempt(draft.Number, started, draft.EndedAt, duration, draft.Outcome ?? "waiting", draft.Error));
            }

            var gaps = new List<TimelineGap>();
            for (var i = 0; i < attempts.Count; i++)
            {
                var attempt = attempts[i];
                if (attempt.Outcome == "retrying")
                {
                    // The backoff ends when the next attempt started; until then, when it is due.
                    gaps.Add(new TimelineGap("retry", attempt.EndedAt, i + 1 < attempts.Count ? attempts[i + 1].StartedAt : Attempts[i].NextAttemptAt, null));
                }
                else if (attempt.Outcome == "waiting")
                {
                    DateTimeOffset? ended = resumes.Where(r => r >= attempt.EndedAt).Select(r => (DateTimeOffset?)r).FirstOrDefault();
                    var waitingFor = waits.Where(w => w.At >= attempt.EndedAt).Select(w => w.WaitingFor).FirstOrDefault();
                    waitingFor = string.IsNullOrEmpty(waitingFor) ? record?.WaitingFor : waitingFor;
                    gaps.Add(new TimelineGap("wait", attempt.EndedAt, ended, waitingFor));
                }
            }

            // An attempt's outcome names the step's status it led to.
            var status = record?.Status.ToString().ToLowerInvariant() ?? attempts.LastOrDefault()?.Outcome ?? "succeeded";
            return new TimelineStep(key, name, loopIteration, status, attempts, gaps);
        }
    }

    private sealed class AttemptDraft(int number, DateTimeOffset endedAt)
    {
        public int Number => number;

        public DateTimeOffset EndedAt => endedAt;

        public string? Outcome { get; set; }

        public double? DurationMs { get; set; }

        public TimelineError? Error { get; set; }

        public DateTimeOffset? NextAttemptAt { get; set; }
    }
}
