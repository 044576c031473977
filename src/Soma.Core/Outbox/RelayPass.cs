namespace Soma.Core.Outbox;

/// <summary>What one relay pass did.</summary>
/// <param name="Claimed">Rows claimed from the outbox.</param>
/// <param name="Sent">Rows the destination took.</param>
/// <param name="Failed">Rows it refused; they are retried later or dead-lettered.</param>
/// <param name="DeadLettered">Rows given up on in this pass.</param>
/// <param name="TransientError">Why the pass stopped early and gave its rows back (peer down, breaker open…), or null.</param>
public sealed record RelayPass(int Claimed, int Sent, int Failed, int DeadLettered, string? TransientError);
