namespace Soma.Core.Storage;

/// <summary>One finished tool call, as the tool analytics count it.</summary>
/// <param name="Id">UUIDv7.</param>
/// <param name="TenantId">The tenant whose agent made the call.</param>
/// <param name="Tool">The tool's name as its events carry it.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="ErrorCode">The failure's stable code (e.g. <c>tool.timeout</c>, <c>tool.denied</c>), or null on success.</param>
/// <param name="DurationMs">How long the tool ran, in milliseconds (0 when denied).</param>
/// <param name="Bytes">The output's size in UTF-8 bytes (0 when denied).</param>
/// <param name="Sandbox">Where it ran: <c>none</c>, <c>bubblewrap</c> or <c>gvisor</c> (<c>none</c> when denied).</param>
/// <param name="At">When the call was made.</param>
public sealed record ToolCallRecord(
    Guid Id,
    string TenantId,
    string Tool,
    ToolCallOutcome Outcome,
    string? ErrorCode,
    double DurationMs,
    long Bytes,
    string Sandbox,
    DateTimeOffset At)
{
    /// <summary>The error code of a call over its time limit.</summary>
    public const string TimeoutCode = "tool.timeout";

    /// <summary>The outcome as stored and shown: <c>succeeded</c>, <c>failed</c> or <c>denied</c>.</summary>
    public static string OutcomeName(ToolCallOutcome outcome) => outcome switch
    {
        ToolCallOutcome.Succeeded => "succeeded",
        ToolCallOutcome.Failed => "failed",
        ToolCallOutcome.Denied => "denied",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Not a tool call outcome."),
    };
}
