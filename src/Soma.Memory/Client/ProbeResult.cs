namespace Soma.Memory.Client;

/// <summary>One health probe of the memory service.</summary>
/// <param name="Outcome"><c>healthy</c>, <c>slow</c>, <c>degraded</c>, <c>critical</c>, <c>failed</c> or <c>timeout</c>.</param>
/// <param name="Latency">How long the probe took.</param>
/// <param name="Status">The status the service reported, when it answered.</param>
/// <param name="Error">Why the probe failed, when it did (never holds the token).</param>
public sealed record ProbeResult(string Outcome, TimeSpan Latency, string? Status, string? Error);
