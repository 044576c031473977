namespace Soma.Policy.Rego.Syntax;

/// <summary><c>value in collection</c> or <c>key, value in collection</c>.</summary>
internal sealed class MembershipTerm(SourceLocation location, Term? key, Term value, Term collection) : Term(location)
{
    public Term? Key { get; } = key;

    public Term Value { get; } = value;

    public Term Collection { get; } = collection;
}
