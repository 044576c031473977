namespace Soma.Core.Outbox;

/// <summary>What one relay pass did.</summary>
/// <param name="Claimed">Rows claimed from the outbox.</param>
/// <param name="Sent">Rows the destination took.</param>
/// <param name="Failed">Rows it refused; they are retried later or dead-lettered.</param>
/// <param name="DeadLettered">Rows given up on in this pass.</param>
/// <param name="TransientError">Why the pass stopped early and gave its rows back (peer down, breaker open…), or null.</param>
public sealed record RelayPass(int Claimed, int Sent, int Failed, int DeadLettered, string? TransientError)
{
    /// <summary>
    /// Rows the destination took whose mark was deferred (a pass asked to defer it): hand them to the next pass, whose
    /// claim marks them sent in its own commit, or to <see cref="OutboxRelay.AcknowledgeAsync"/>. Empty otherwise.
    /// </summary>
    public IReadOnlyList<Guid> Unacknowledged { get; init; } = [];
}
