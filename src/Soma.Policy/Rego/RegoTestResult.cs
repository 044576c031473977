namespace Soma.Policy.Rego;

/// <summary>The outcome of one <c>test_</c> rule.</summary>
/// <param name="Package">The rule's package.</param>
/// <param name="Name">The rule's name.</param>
/// <param name="Passed">Whether it was defined and not false.</param>
/// <param name="Error">The evaluation error, if one occurred.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Location">Where the rule is.</param>
public sealed record RegoTestResult(string Package, string Name, bool Passed, string? Error, TimeSpan Duration, SourceLocation Location);
