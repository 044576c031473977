using Soma.Core.Runs;

namespace Soma.Orchestration.Runs;

/// <summary>The outcome of starting a run.</summary>
public abstract record RunStartResult
{
    private RunStartResult()
    {
    }

    /// <summary>The run is accepted (or was already, under the same idempotency key).</summary>
    /// <param name="Run">The accepted run.</param>
    /// <param name="Existing">True when the idempotency key matched an earlier run.</param>
    public sealed record Accepted(RunRecord Run, bool Existing) : RunStartResult;

    /// <summary>No such workflow or version.</summary>
    /// <param name="Message">What was not found.</param>
    public sealed record WorkflowNotFound(string Message) : RunStartResult;

    /// <summary>The input fails the workflow's input schema.</summary>
    /// <param name="Errors">The failing fields by JSON pointer.</param>
    public sealed record InvalidInput(IReadOnlyList<(string Pointer, string Message)> Errors) : RunStartResult;
}
