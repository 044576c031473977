namespace Soma.Policy.Rego.Syntax;

/// <summary>One step of a reference: <c>.name</c> (a string key) or <c>[term]</c>.</summary>
internal sealed record RefPart(Term Key, bool IsDot);
