namespace Soma.Gateway.Runs;

/// <summary>A run's steps on a time axis (<c>GET /v1/runs/{id}/timeline</c>), derived from the run's stored events.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Workflow">Its workflow name.</param>
/// <param name="WorkflowVersion">Its workflow version.</param>
/// <param name="State">Its state now.</param>
/// <param name="CreatedAt">When the run was accepted: the left end of the axis.</param>
/// <param name="EndedAt">When it ended, or null while it has not.</param>
/// <param name="Now">The server's clock when it answered: the right end of the axis while the run goes on.</param>
/// <param name="WaitingFor">What a waiting run waits for.</param>
/// <param name="TraceId">The W3C trace id the run's events carry (32 hex digits).</param>
/// <param name="TraceUrl">The trace in the operator's tracing UI, when <c>Soma:Telemetry:TraceUrlTemplate</c> is set.</param>
/// <param name="Steps">The steps, in the order they first started.</param>
internal sealed record RunTimelineResponse(
    Guid RunId,
    string Workflow,
    int WorkflowVersion,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset Now,
    string? WaitingFor,
    string? TraceId,
    string? TraceUrl,
    IReadOnlyList<TimelineStep> Steps);

/// <summary>One step: its attempts and the gaps between them.</summary>
/// <param name="Key">The step's key (with its loop iteration, e.g. <c>tools[2]/call</c>).</param>
/// <param name="Name">The step's id in the workflow.</param>
/// <param name="LoopIteration">The iteration of its enclosing loop, if any.</param>
/// <param name="Status">succeeded, skipped, retrying, waiting or failed.</param>
/// <param name="Attempts">Each attempt, oldest first.</param>
/// <param name="Gaps">Retry backoffs and waits for input, oldest first.</param>
internal sealed record TimelineStep(
    string Key,
    string Name,
    int? LoopIteration,
    string Status,
    IReadOnlyList<TimelineAttempt> Attempts,
    IReadOnlyList<TimelineGap> Gaps);

/// <summary>One attempt of a step.</summary>
/// <param name="Attempt">Its number, from 1.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="EndedAt">When its outcome was committed.</param>
/// <param name="DurationMs">How long it ran, in milliseconds.</param>
/// <param name="Outcome">succeeded, retrying (failed, another attempt follows), failed (for good) or waiting (asked for input).</param>
/// <param name="Error">What went wrong, for retrying and failed attempts.</param>
internal sealed record TimelineAttempt(
    int Attempt,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    double? DurationMs,
    string Outcome,
    TimelineError? Error);

/// <summary>A pause in a step: a retry's backoff before its next attempt, or a wait for input.</summary>
/// <param name="Kind">retry or wait.</param>
/// <param name="StartedAt">When it began (the end of the attempt before it).</param>
/// <param name="EndedAt">When it ended; for a retry not yet made, when the next attempt is due; null for a wait still open.</param>
/// <param name="WaitingFor">What a wait waits for.</param>
internal sealed record TimelineGap(string Kind, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? WaitingFor);

/// <summary>What went wrong in an attempt.</summary>
/// <param name="Code">A stable machine-readable code.</param>
/// <param name="Message">A message for people.</param>
/// <param name="Retryable">Whether trying again can help.</param>
internal sealed record TimelineError(string Code, string Message, bool Retryable);
