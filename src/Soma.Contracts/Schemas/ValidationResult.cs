namespace Soma.Contracts.Schemas;

/// <summary>The outcome of validating one event.</summary>
/// <param name="Schema">The schema the event was validated against (from its <c>schema</c> field), or null when it named none.</param>
/// <param name="IsValid">Whether the event follows its schema.</param>
/// <param name="Errors">What is wrong, one entry per failing field, most specific first; empty when valid.</param>
public sealed record ValidationResult(string? Schema, bool IsValid, IReadOnlyList<ValidationError> Errors);
