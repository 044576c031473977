using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Soma.Orchestration.Workflows;

/// <summary>
/// A checked, immutable workflow: a DAG of top-level steps and bounded loops, identified by name and version. Create
/// one with <see cref="Create"/>; register it in a <see cref="WorkflowRegistry"/>.
/// </summary>
public sealed class WorkflowDefinition
{
    private readonly CompiledInputSchema? _inputSchema;
    private readonly Dictionary<string, StepDefinition> _steps;
    private readonly Dictionary<string, LoopDefinition> _loops;

    internal WorkflowDefinition(string name, int version, IReadOnlyList<StepDefinition> steps, IReadOnlyList<LoopDefinition> loops, CompiledInputSchema? inputSchema, IReadOnlyList<string> topologicalOrder, WorkflowDurability durability)
    {
        Durability = durability;
        Name = name;
        Version = version;
        Steps = steps;
        Loops = loops;
        _inputSchema = inputSchema;
        TopologicalOrder = topologicalOrder;
        _steps = steps.Concat(loops.SelectMany(l => l.Body)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        _loops = loops.ToDictionary(l => l.Id, StringComparer.Ordinal);
    }

    /// <summary>The workflow's name, e.g. <c>chat</c>.</summary>
    public string Name { get; }

    /// <summary>The definition's version (1 or more); a run keeps the version it started with.</summary>
    public int Version { get; }

    /// <summary>When the runs' step results reach the store (<see cref="WorkflowBuilder.WithDurability"/>).</summary>
    public WorkflowDurability Durability { get; }

    /// <summary>The top-level steps, in declaration order (loop body steps are in <see cref="LoopDefinition.Body"/>).</summary>
    public IReadOnlyList<StepDefinition> Steps { get; }

    /// <summary>The loops, in declaration order.</summary>
    public IReadOnlyList<LoopDefinition> Loops { get; }

    /// <summary>The JSON Schema (draft 2020-12 unless it names another dialect) that run inputs must match, or null.</summary>
    public JsonElement? InputSchema => _inputSchema?.Document;

    /// <summary>
    /// The ids of the top-level nodes (steps and loops) in a valid execution order: every node comes after the nodes it
    /// depends on; among nodes ready together, the one declared first comes first.
    /// </summary>
    public IReadOnlyList<string> TopologicalOrder { get; }

    /// <summary>Starts declaring a workflow.</summary>
    /// <param name="name">The workflow's name, 1 to 200 characters.</param>
    /// <param name="version">The definition's version, 1 or more.</param>
    public static WorkflowBuilder Create(string name, int version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(name.Length, 200, nameof(name));
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        return new WorkflowBuilder(name, version);
    }

    /// <summary>
    /// Checks a run input against <see cref="InputSchema"/>. Returns one error per problem, naming the field by JSON
    /// pointer (<c>""</c> for the input itself, <c>/query</c>, <c>/options/limit</c>); empty when the input is valid
    /// or there is no schema.
    /// </summary>
    public IReadOnlyList<(string Pointer, string Message)> ValidateInput(JsonElement input) =>
        _inputSchema is null ? [] : _inputSchema.Validate(input);

    /// <summary>Finds a step by id, at the top level or inside a loop body.</summary>
    public bool TryGetStep(string id, [MaybeNullWhen(false)] out StepDefinition step)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _steps.TryGetValue(id, out step);
    }

    /// <summary>Finds a loop by id.</summary>
    public bool TryGetLoop(string id, [MaybeNullWhen(false)] out LoopDefinition loop)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _loops.TryGetValue(id, out loop);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} v{Version}";
}
