namespace Soma.Contracts.Events;

/// <summary>What went wrong, safe to show (never a secret or a stack trace).</summary>
/// <param name="Code">Stable machine-readable code.</param>
/// <param name="Message">Human-readable explanation.</param>
/// <param name="Retryable">Whether trying again can help.</param>
public sealed record EventError(string Code, string Message, bool? Retryable = null);
