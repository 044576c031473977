namespace Soma.Policy.Rego.Syntax;

/// <summary>A set literal (<c>set()</c> when empty).</summary>
internal sealed class SetTerm(SourceLocation location, IReadOnlyList<Term> items) : Term(location)
{
    public IReadOnlyList<Term> Items { get; } = items;
}
