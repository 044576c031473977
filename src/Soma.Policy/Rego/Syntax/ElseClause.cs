namespace Soma.Policy.Rego.Syntax;

/// <summary><c>else [= value] [if] { body }</c>.</summary>
internal sealed class ElseClause(SourceLocation location, AssignKind assign, Term? value, Query? body, ElseClause? next)
{
    public SourceLocation Location { get; } = location;

    public AssignKind Assign { get; } = assign;

    public Term? Value { get; } = value;

    public Query? Body { get; } = body;

    public ElseClause? Next { get; } = next;
}
