using System.Text.Json;

namespace Soma.Orchestration.Checkpoints;

/// <summary>One step's state in a checkpoint.</summary>
public sealed record StepRecord
{
    /// <summary>The step's status.</summary>
    public required StepStatus Status { get; init; }

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; init; }

    /// <summary>The output of a succeeded step.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>The last error of a retrying or failed step.</summary>
    public StepError? Error { get; init; }

    /// <summary>When a retrying step's next attempt is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>What a waiting step waits for.</summary>
    public string? WaitingFor { get; init; }

    /// <summary>When the last attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the step reached this status.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>How long the last attempt took, in milliseconds.</summary>
    public double? DurationMs { get; init; }
}
