using Soma.Core.Storage;

namespace Soma.Core.Runs;

/// <summary>
/// A run to add (<see cref="IRunStore.CreateAsync(IStoreTransaction, RunAcceptance, CancellationToken)"/>) with the events
/// that announce it.
/// </summary>
/// <param name="Run">The accepted run.</param>
public sealed record RunAcceptance(RunRecord Run)
{
    /// <summary>
    /// Outbox messages (<c>run.accepted</c>, and <c>run.started</c> for a run started in the same commit) written with the
    /// run, in the same transaction, only if it is added: when its idempotency key names an existing run, none is written.
    /// On PostgreSQL they go in the run's own statement.
    /// </summary>
    public IReadOnlyList<OutboxMessage> Events { get; init; } = [];

    /// <summary>Nothing more is written in the transaction after the run, as <see cref="RunCommit.Last"/> says.</summary>
    public bool Last { get; init; }
}
