namespace Soma.Policy.Rego.Syntax;

/// <summary><c>import data.x.y as z</c>.</summary>
internal sealed record Import(SourceLocation Location, Term Path, string? Alias);
