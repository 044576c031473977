namespace Soma.Policy.Rego.Syntax;

/// <summary>A rule's head: its reference (name and keys), parameters of a function, and the key or value.</summary>
internal sealed class RuleHead(SourceLocation location, string name, IReadOnlyList<RefPart> parts, IReadOnlyList<Term>? parameters, Term? containsKey, AssignKind assign, Term? value)
{
    public SourceLocation Location { get; } = location;

    public string Name { get; } = name;

    public IReadOnlyList<RefPart> Parts { get; } = parts;

    /// <summary>Null for a rule that is not a function.</summary>
    public IReadOnlyList<Term>? Parameters { get; } = parameters;

    /// <summary>The element of a <c>contains</c> rule.</summary>
    public Term? ContainsKey { get; } = containsKey;

    public AssignKind Assign { get; } = assign;

    public Term? Value { get; } = value;
}
