namespace Soma.Memory.Client;

/// <summary>One attempt made through <see cref="ResilientMemoryBackend"/>, as reported to its observers.</summary>
/// <param name="Operation">The protocol operation: <c>remember</c>, <c>remember_batch</c>, <c>recall</c>, <c>link</c> or <c>health</c>.</param>
/// <param name="Attempt">0 for the first attempt, 1 for the first retry, …</param>
/// <param name="Succeeded">Whether the attempt succeeded.</param>
/// <param name="Transient">For a failure: whether it was transient (network, timeout, 5xx, 429); false for refusals and successes.</param>
/// <param name="Status">The HTTP status of a failure, when there was one.</param>
/// <param name="Duration">How long the attempt took.</param>
public sealed record MemoryCallOutcome(string Operation, int Attempt, bool Succeeded, bool Transient, int? Status, TimeSpan Duration);
