using System.Text.Json;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

/// <summary>One attempt of one step that is ready to start, with the outputs it reads.</summary>
internal sealed record StepWork(string Key, StepDefinition Step, int Iteration, int Attempt, IReadOnlyDictionary<string, JsonElement> Outputs)
{
    /// <summary>The checkpoint version the attempt starts from (set when it is launched).</summary>
    public long StartCheckpointVersion { get; init; }
}
