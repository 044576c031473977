using System.Text.Json;

namespace Soma.Orchestration.Workflows;

/// <summary>
/// What a step returns: <see cref="StepSucceeded"/>, <see cref="StepWaiting"/> or <see cref="StepFailure"/>. The
/// set is closed, so a runner can switch over it exhaustively.
/// </summary>
public abstract record StepOutcome
{
    // Outputs are stored and shown to clients as JSON; the web defaults (camelCase) match the rest of the API.
    private static readonly JsonSerializerOptions WebOptions = new(JsonSerializerDefaults.Web);

    private StepOutcome()
    {
    }

    /// <summary>Writes committed in the same transaction as this outcome (see <see cref="StepCommit"/>), or null.</summary>
    public StepCommit? Commit { get; init; }

    /// <summary>This outcome, with writes that commit together with it.</summary>
    public StepOutcome WithCommit(StepCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        return this with { Commit = commit };
    }

    /// <summary>The step completed with an output.</summary>
    public static StepOutcome Succeeded(JsonElement output)
    {
        if (output.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("The output is an undefined JsonElement; use a JSON value (null is one).", nameof(output));
        }

        // A copy that does not depend on a JsonDocument the step may dispose.
        return new StepSucceeded(output.Clone());
    }

    /// <summary>The step completed with an output, serialized with <see cref="JsonSerializerDefaults.Web"/> (camelCase names).</summary>
    public static StepOutcome Succeeded<T>(T value) => new StepSucceeded(JsonSerializer.SerializeToElement(value, WebOptions));

    /// <summary>
    /// The run waits for external input (e.g. an approval). When it is resumed, this step runs again with
    /// <see cref="StepContext.ResumeInput"/> set.
    /// </summary>
    /// <param name="waitingFor">What the run waits for, e.g. <c>approval</c>; shown to users and in events.</param>
    public static StepOutcome Wait(string waitingFor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(waitingFor);
        return new StepWaiting(waitingFor);
    }

    /// <summary>The attempt failed.</summary>
    /// <param name="code">A stable machine-readable code, e.g. <c>timeout</c>.</param>
    /// <param name="message">A message for people.</param>
    /// <param name="retryable">Whether another attempt may succeed; a non-retryable failure fails the step at once.</param>
    public static StepOutcome Fail(string code, string message, bool retryable = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        ArgumentNullException.ThrowIfNull(message);
        return new StepFailure(code, message, retryable);
    }

    /// <summary>The step completed.</summary>
    /// <param name="Output">The step's output, available to the steps that depend on it.</param>
    public sealed record StepSucceeded(JsonElement Output) : StepOutcome;

    /// <summary>The run waits for external input before this step runs again.</summary>
    /// <param name="WaitingFor">What the run waits for, e.g. <c>approval</c>.</param>
    public sealed record StepWaiting(string WaitingFor) : StepOutcome;

    /// <summary>The attempt failed.</summary>
    /// <param name="Code">A stable machine-readable code.</param>
    /// <param name="Message">A message for people.</param>
    /// <param name="Retryable">Whether another attempt may succeed.</param>
    public sealed record StepFailure(string Code, string Message, bool Retryable) : StepOutcome;
}
