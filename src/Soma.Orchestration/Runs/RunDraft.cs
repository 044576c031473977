using System.Text.Json;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

/// <summary>
/// A run checked before its transaction by <see cref="RunService.Check"/>: its workflow is registered and its input
/// passes the workflow's input schema. Only <see cref="RunService"/> makes one, so holding one means both were checked.
/// </summary>
public sealed class RunDraft
{
    internal RunDraft(WorkflowDefinition definition, JsonElement input)
    {
        Definition = definition;
        Input = input;
    }

    /// <summary>The workflow the run will run.</summary>
    public WorkflowDefinition Definition { get; }

    /// <summary>The run's input, valid against <see cref="Definition"/>'s input schema.</summary>
    public JsonElement Input { get; }
}
