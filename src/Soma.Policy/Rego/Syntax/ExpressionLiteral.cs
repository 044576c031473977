namespace Soma.Policy.Rego.Syntax;

/// <summary>An expression statement, possibly negated with <c>not</c>.</summary>
internal sealed class ExpressionLiteral(SourceLocation location, bool negated, Term expression) : Literal(location)
{
    public bool Negated { get; } = negated;

    public Term Expression { get; } = expression;
}
