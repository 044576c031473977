namespace Soma.Policy.Rego.Syntax;

/// <summary>An array literal.</summary>
internal sealed class ArrayTerm(SourceLocation location, IReadOnlyList<Term> items) : Term(location)
{
    public IReadOnlyList<Term> Items { get; } = items;
}
