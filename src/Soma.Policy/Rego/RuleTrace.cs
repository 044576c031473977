namespace Soma.Policy.Rego;

/// <summary>A rule body that succeeded during an evaluation.</summary>
/// <param name="Path">The rule's path, e.g. <c>soma.tools.allow</c>.</param>
/// <param name="Location">Where the rule (or its <c>else</c>) is.</param>
public sealed record RuleTrace(string Path, SourceLocation Location);
