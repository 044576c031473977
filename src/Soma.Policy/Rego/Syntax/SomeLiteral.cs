namespace Soma.Policy.Rego.Syntax;

/// <summary><c>some x, y</c>: declares local variables.</summary>
internal sealed class SomeLiteral(SourceLocation location, IReadOnlyList<VarTerm> variables) : Literal(location)
{
    public IReadOnlyList<VarTerm> Variables { get; } = variables;
}
