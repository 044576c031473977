namespace Soma.Orchestration.Checkpoints;

/// <summary>Why a step attempt failed.</summary>
/// <param name="Code">Stable machine-readable code.</param>
/// <param name="Message">Human-readable explanation.</param>
/// <param name="Retryable">Whether another attempt can help.</param>
public sealed record StepError(string Code, string Message, bool Retryable);
