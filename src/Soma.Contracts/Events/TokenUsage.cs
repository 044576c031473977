namespace Soma.Contracts.Events;

/// <summary>Token usage reported by a model.</summary>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
public sealed record TokenUsage(int InputTokens, int OutputTokens);
