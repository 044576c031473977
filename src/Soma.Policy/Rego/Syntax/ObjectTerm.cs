namespace Soma.Policy.Rego.Syntax;

/// <summary>An object literal.</summary>
internal sealed class ObjectTerm(SourceLocation location, IReadOnlyList<(Term Key, Term Value)> pairs) : Term(location)
{
    public IReadOnlyList<(Term Key, Term Value)> Pairs { get; } = pairs;
}
