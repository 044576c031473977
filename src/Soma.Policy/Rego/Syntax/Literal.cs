namespace Soma.Policy.Rego.Syntax;

/// <summary>One statement of a body.</summary>
internal abstract class Literal(SourceLocation location)
{
    public SourceLocation Location { get; } = location;

    public List<WithModifier> With { get; } = [];
}
