namespace Soma.Policy.Rego.Compilation;

/// <summary>Calls the evaluator implements itself because they need more than argument values.</summary>
internal enum Intrinsic
{
    None,
    Print,
    Walk,
    Trace,
}
