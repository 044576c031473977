namespace Soma.Policy.Rego;

/// <summary>Per-call evaluation settings.</summary>
public sealed class EvaluationOptions
{
    internal static EvaluationOptions Default { get; } = new();

    /// <summary>The time <c>time.now_ns</c> reports (default: the clock when the evaluation starts).</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>Where <c>print</c> writes (default: nowhere).</summary>
    public Action<string>? Print { get; init; }

    /// <summary>Called for each rule body that succeeded (for explanations).</summary>
    public Action<RuleTrace>? OnRuleFired { get; init; }

    /// <summary>Collects the places of the expressions evaluated (for coverage).</summary>
    public ISet<SourceLocation>? Coverage { get; init; }

    /// <summary>Cancels a long evaluation.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// How long the evaluation may run before it stops with an <see cref="OperationCanceledException"/> (default: no
    /// limit). Cheaper than a timed <see cref="CancellationTokenSource"/> per call: the evaluator compares the clock
    /// with a deadline now and then, with no timer to register and cancel.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Whether a builtin's error fails the evaluation (default, as <c>opa eval --strict-builtin-errors</c>);
    /// when false the call is undefined instead.</summary>
    public bool StrictBuiltinErrors { get; init; } = true;

    /// <summary>Collects what the evaluation read of its input (the embedded engine's decision cache), or null.</summary>
    internal Evaluation.InputReads? Reads { get; init; }
}
