using Soma.Policy.Rego.Builtins;

namespace Soma.Policy.Rego.Syntax;

/// <summary>An infix expression: comparison, arithmetic, set union/intersection, <c>=</c> or <c>:=</c>.</summary>
internal sealed class BinaryTerm(SourceLocation location, BinaryOperator op, Term left, Term right) : Term(location)
{
    public BinaryOperator Operator { get; } = op;

    public Term Left { get; } = left;

    public Term Right { get; } = right;

    /// <summary>The builtin an arithmetic or set operator calls.</summary>
    internal Builtin? Builtin { get; set; }
}
