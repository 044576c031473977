namespace Soma.Orchestration.Workflows;

/// <summary>Declares the steps of a loop body.</summary>
public sealed class LoopBuilder
{
    private readonly List<WorkflowBuilder.StepDeclaration> _steps = [];

    internal LoopBuilder()
    {
    }

    internal IReadOnlyList<WorkflowBuilder.StepDeclaration> Steps => _steps;

    /// <summary>Adds a body step. Its dependencies may name other steps of the body, or steps and loops the loop runs after.</summary>
    /// <param name="id">The step id, unique across the whole workflow; <c>^[a-z][a-z0-9_-]{0,62}$</c>.</param>
    /// <param name="execute">The step's work.</param>
    /// <param name="configure">Dependencies, condition, side effects, policy.</param>
    public LoopBuilder Step(string id, StepFunction execute, Action<StepOptions>? configure = null)
    {
        _steps.Add(WorkflowBuilder.StepDeclaration.Create(id, execute, configure));
        return this;
    }
}
