namespace Soma.Policy.Rego.Syntax;

/// <summary>A rule: head, optional body (<c>if</c> or braces), <c>else</c> chain; or a <c>default</c>.</summary>
internal sealed class Rule(SourceLocation location, bool isDefault, RuleHead head, Query? body, bool usesIf, ElseClause? elseClause)
{
    public SourceLocation Location { get; } = location;

    public bool IsDefault { get; } = isDefault;

    public RuleHead Head { get; } = head;

    public Query? Body { get; } = body;

    /// <summary>Whether the body was introduced with <c>if</c>.</summary>
    public bool UsesIf { get; } = usesIf;

    public ElseClause? Else { get; } = elseClause;
}
