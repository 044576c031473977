using System.Text.Json;

namespace Soma.Gateway.Runs;

/// <summary>The body of <c>POST /v1/runs</c>.</summary>
/// <param name="Workflow">The registered workflow name.</param>
/// <param name="Version">The workflow version; the newest when absent.</param>
/// <param name="Input">The run input (JSON), checked against the workflow's input schema.</param>
internal sealed record StartRunRequest(string Workflow, int? Version = null, JsonElement? Input = null);

/// <summary>The body of <c>POST /v1/runs/{id}/resume</c>.</summary>
/// <param name="Input">The input a waiting run waits for (ignored when resuming a failed run).</param>
internal sealed record ResumeRunRequest(JsonElement? Input = null);

/// <summary>The answer to starting, resuming or cancelling a run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="State">Its state now.</param>
/// <param name="Existing">True when an earlier start with the same Idempotency-Key is the answer.</param>
internal sealed record RunAcceptedResponse(Guid RunId, string State, bool? Existing = null);

/// <summary>A run as the API shows it.</summary>
internal sealed record RunResponse(
    Guid Id,
    string Workflow,
    int WorkflowVersion,
    string State,
    long RunVersion,
    long CheckpointVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? EndedAt,
    string? WaitingFor,
    JsonElement? Input,
    JsonElement? Output,
    JsonElement? Error,
    IReadOnlyList<string>? CurrentSteps);

/// <summary>One step of a run as the API shows it, from the run's latest checkpoint.</summary>
internal sealed record StepResponse(
    string Key,
    string Status,
    int Attempts,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    double? DurationMs,
    DateTimeOffset? NextAttemptAt,
    string? WaitingFor,
    JsonElement? Output,
    JsonElement? Error);

/// <summary>One stored checkpoint.</summary>
internal sealed record CheckpointResponse(Guid RunId, long Version, int FormatVersion, DateTimeOffset CreatedAt, JsonElement State);
