using Soma.Policy.Rego.Syntax;

namespace Soma.Policy.Rego.Compilation;

/// <summary>A rule body and the value it gives (the rule itself, then each <c>else</c>).</summary>
internal sealed record RuleBranch(Term? Value, Query? Body, SourceLocation Location);
