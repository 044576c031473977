namespace Soma.Orchestration.Workflows;

/// <summary>
/// Declares a workflow: top-level steps and bounded loops, their dependencies, conditions and policies.
/// <see cref="Build"/> checks the whole declaration and returns an immutable <see cref="WorkflowDefinition"/>.
/// </summary>
public sealed partial class WorkflowBuilder
{
    private readonly List<NodeDeclaration> _nodes = [];
    private readonly string _name;
    private readonly int _version;
    private string? _inputSchema;
    private WorkflowDurability _durability = WorkflowDurability.PerStep;

    internal WorkflowBuilder(string name, int version)
    {
        _name = name;
        _version = version;
    }

    /// <summary>Adds a top-level step.</summary>
    /// <param name="id">The step id, unique across the whole workflow (loop bodies included); <c>^[a-z][a-z0-9_-]{0,62}$</c>.</param>
    /// <param name="execute">The step's work.</param>
    /// <param name="configure">Dependencies, condition, side effects, policy.</param>
    public WorkflowBuilder Step(string id, StepFunction execute, Action<StepOptions>? configure = null)
    {
        _nodes.Add(StepDeclaration.Create(id, execute, configure));
        return this;
    }

    /// <summary>Adds a bounded loop.</summary>
    /// <param name="id">The loop id, unique across the whole workflow; <c>^[a-z][a-z0-9_-]{0,62}$</c>.</param>
    /// <param name="maxIterations">The most iterations the body runs, 1 to 1000.</param>
    /// <param name="body">Declares the body's steps.</param>
    /// <param name="continueWhile">Evaluated after each iteration with its outputs: true runs another iteration.</param>
    /// <param name="configure">The loop's dependencies (<see cref="StepOptions.After"/>); other options belong on body steps.</param>
    public WorkflowBuilder Loop(string id, int maxIterations, Action<LoopBuilder> body, Func<StepConditionContext, bool> continueWhile, Action<StepOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(continueWhile);
        var loop = new LoopBuilder();
        body(loop);
        var options = new StepOptions();
        configure?.Invoke(options);
        _nodes.Add(new LoopDeclaration(id, maxIterations, loop.Steps, continueWhile, options));
        return this;
    }

    /// <summary>Sets the JSON Schema (draft 2020-12 unless it names another dialect) that run inputs must match.</summary>
    public WorkflowBuilder WithInputSchema(string jsonSchema)
    {
        ArgumentNullException.ThrowIfNull(jsonSchema);
        _inputSchema = jsonSchema;
        return this;
    }

    /// <summary>
    /// Sets when step results reach the store: <see cref="WorkflowDurability.PerStep"/> (the default) or
    /// <see cref="WorkflowDurability.Batched"/>.
    /// </summary>
    public WorkflowBuilder WithDurability(WorkflowDurability durability)
    {
        ArgumentNullException.ThrowIfNull(durability);
        _durability = durability;
        return this;
    }

    /// <summary>Checks the declaration and builds the definition.</summary>
    /// <exception cref="WorkflowDefinitionException">
    /// The declaration is invalid; the message names every problem found: an empty workflow, a bad or duplicate id,
    /// an unknown dependency, a cycle (with its path), a loop bound outside 1 to 1000, an invalid input schema, batched
    /// durability limits out of range.
    /// </exception>
    public WorkflowDefinition Build()
    {
        var problems = new List<string>();
        var steps = _nodes.OfType<StepDeclaration>().ToList();
        var loops = _nodes.OfType<LoopDeclaration>().ToList();
        if (_nodes.Count == 0)
        {
            problems.Add("The workflow is empty: add at least one step.");
        }

        CheckIds(problems);
        CheckLoops(loops, problems);
        CheckPolicies(problems);
        if (_durability.Problem() is { } durability)
        {
            problems.Add(durability);
        }

        var topLevel = CheckTopLevelDependencies(problems);
        CheckBodyDependencies(loops, topLevel, problems);

        CompiledInputSchema? schema = null;
        if (_inputSchema is not null)
        {
            schema = CompiledInputSchema.TryCompile(_inputSchema, out var error);
            if (schema is null)
            {
                problems.Add($"The input schema is invalid: {error}");
            }
        }

        if (problems.Count > 0)
        {
            throw new WorkflowDefinitionException($"Workflow '{_name}' v{_version} is invalid: {string.Join(" ", problems)}", problems);
        }

        var order = Order([.. _nodes.Select(n => n.Id)], id => topLevel[id]);
        var builtLoops = loops.Select(loop =>
        {
            var bodyIds = loop.Steps.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var bodyEdges = loop.Steps.ToDictionary(s => s.Id, s => (IReadOnlyList<string>)[.. s.Options.DependsOn.Where(bodyIds.Contains)], StringComparer.Ordinal);
            var bodyOrder = Order([.. loop.Steps.Select(s => s.Id)], id => bodyEdges[id]);
            return new LoopDefinition(loop.Id, [.. loop.Options.DependsOn], loop.MaxIterations, [.. loop.Steps.Select(s => s.ToDefinition(loop.Id))], loop.ContinueWhile, bodyOrder);
        }).ToList();

        return new WorkflowDefinition(_name, _version, [.. steps.Select(s => s.ToDefinition(null))], builtLoops, schema, order, _durability);
    }

    /// <summary>A top-level node (step or loop) as declared, before the whole workflow is checked.</summary>
    internal abstract record NodeDeclaration(string Id, StepOptions Options);

    /// <summary>A step as declared (top-level or in a loop body).</summary>
    internal sealed record StepDeclaration(string Id, StepFunction Execute, StepOptions Options) : NodeDeclaration(Id, Options)
    {
        public static StepDeclaration Create(string id, StepFunction execute, Action<StepOptions>? configure)
        {
            ArgumentNullException.ThrowIfNull(id);
            ArgumentNullException.ThrowIfNull(execute);
            var options = new StepOptions();
            configure?.Invoke(options);
            return new StepDeclaration(id, execute, options);
        }

        public StepDefinition ToDefinition(string? loopId) =>
            new(Id, [.. Options.DependsOn], Options.Condition, Options.HasSideEffects, Options.Policy ?? StepPolicy.Default, Execute, loopId);
    }

    /// <summary>A loop as declared.</summary>
    internal sealed record LoopDeclaration(string Id, int MaxIterations, IReadOnlyList<StepDeclaration> Steps, Func<StepConditionContext, bool> ContinueWhile, StepOptions Options) : NodeDeclaration(Id, Options);
}
