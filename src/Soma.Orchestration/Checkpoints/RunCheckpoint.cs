using System.Collections.Immutable;
using System.Text.Json;

namespace Soma.Orchestration.Checkpoints;

/// <summary>
/// The execution state of a run at one checkpoint version: every step's record by step key (e.g. <c>fetch</c>,
/// <c>tools[2]/call</c>), loop progress, and the input a waiting step was resumed with. Immutable: each committed
/// change is a new value.
/// </summary>
public sealed record RunCheckpoint
{
    /// <summary>An empty state: nothing has run.</summary>
    public static RunCheckpoint Empty { get; } = new();

    /// <summary>Step records by step key.</summary>
    public ImmutableSortedDictionary<string, StepRecord> Steps { get; init; } = ImmutableSortedDictionary.Create<string, StepRecord>(StringComparer.Ordinal);

    /// <summary>Loop progress by loop id.</summary>
    public ImmutableSortedDictionary<string, LoopRecord> Loops { get; init; } = ImmutableSortedDictionary.Create<string, LoopRecord>(StringComparer.Ordinal);

    /// <summary>Inputs given to resume waiting steps, by step key, consumed when the step runs again.</summary>
    public ImmutableSortedDictionary<string, JsonElement> ResumeInputs { get; init; } = ImmutableSortedDictionary.Create<string, JsonElement>(StringComparer.Ordinal);

    /// <summary>The record of a step, or null when it has not run.</summary>
    public StepRecord? Step(string key) => Steps.TryGetValue(key, out var record) ? record : null;

    /// <summary>This state with one step's record replaced.</summary>
    public RunCheckpoint WithStep(string key, StepRecord record) => this with { Steps = Steps.SetItem(key, record) };
}
