using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

/// <summary>One finished attempt of one step, waiting to be committed.</summary>
internal sealed record StepCompletion(
    string Key,
    StepDefinition Definition,
    int LoopIteration,
    int Attempt,
    StepOutcome Outcome,
    DateTimeOffset StartedAt,
    double DurationMs,
    string? EffectKey,
    bool FromLedger)
{
    /// <summary>The checkpoint version the attempt started from.</summary>
    public long StartCheckpointVersion { get; init; }
}
