namespace Soma.Policy.Rego.Syntax;

/// <summary>An array, set or object comprehension: <c>[head | body]</c>, <c>{head | body}</c>, <c>{key: head | body}</c>.</summary>
internal sealed class ComprehensionTerm(SourceLocation location, ComprehensionKind kind, Term? key, Term head, Query body) : Term(location)
{
    public ComprehensionKind Kind { get; } = kind;

    /// <summary>The key of an object comprehension.</summary>
    public Term? Key { get; } = key;

    public Term Head { get; } = head;

    public Query Body { get; } = body;
}
