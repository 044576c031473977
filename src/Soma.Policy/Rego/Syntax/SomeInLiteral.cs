namespace Soma.Policy.Rego.Syntax;

/// <summary><c>some value in collection</c> or <c>some key, value in collection</c>.</summary>
internal sealed class SomeInLiteral(SourceLocation location, Term? key, Term value, Term collection) : Literal(location)
{
    public Term? Key { get; } = key;

    public Term Value { get; } = value;

    public Term Collection { get; } = collection;
}
