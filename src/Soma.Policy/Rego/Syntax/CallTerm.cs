using Soma.Policy.Rego.Builtins;
using Soma.Policy.Rego.Compilation;

namespace Soma.Policy.Rego.Syntax;

/// <summary>A call of a builtin or a user function: <c>name(args)</c>, the name a dotted reference.</summary>
internal sealed class CallTerm(SourceLocation location, Term function, IReadOnlyList<Term> arguments) : Term(location)
{
    /// <summary>The callee as written (a variable or a reference).</summary>
    public Term Function { get; } = function;

    public IReadOnlyList<Term> Arguments { get; } = arguments;

    internal Builtin? Builtin { get; set; }

    internal DataNode? FunctionNode { get; set; }

    internal Intrinsic Intrinsic { get; set; }

    /// <summary>Whether the last argument receives the result (<c>f(x, out)</c>).</summary>
    internal bool HasOutput { get; set; }
}
