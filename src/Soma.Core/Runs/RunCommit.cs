using Soma.Core.Storage;

namespace Soma.Core.Runs;

/// <summary>
/// A change to a run, committed only if the run is still at <see cref="ExpectedVersion"/> (and, for a worker, still
/// leased to <see cref="LeaseOwner"/>): a stale or fenced writer changes nothing.
/// </summary>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="RunId">The run.</param>
/// <param name="ExpectedVersion">The run version the writer read.</param>
/// <param name="State">The new state.</param>
public sealed record RunCommit(string TenantId, Guid RunId, long ExpectedVersion, RunState State)
{
    /// <summary>The worker that must still hold the lease, or null for a change made outside a worker (cancel, resume).</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>A new checkpoint to write with the change; it gets the next checkpoint version.</summary>
    public CheckpointData? Checkpoint { get; init; }

    /// <summary>The output (JSON) when the run succeeded.</summary>
    public string? Output { get; init; }

    /// <summary>The error (JSON) when the run failed.</summary>
    public string? Error { get; init; }

    /// <summary>What the run waits for when it is waiting.</summary>
    public string? WaitingFor { get; init; }

    /// <summary>Not runnable before this time (a retry backoff), or null for at once.</summary>
    public DateTimeOffset? WakeAt { get; init; }

    /// <summary>Whether to give up the lease with the change (the worker is done with the run for now).</summary>
    public bool ReleaseLease { get; init; }

    /// <summary>
    /// Outbox messages (the change's events) written with it, in the same transaction, only if it is accepted: a refused
    /// change writes none of them. On PostgreSQL they go in the change's own statement, so a step's commit takes one round
    /// trip fewer.
    /// </summary>
    public IReadOnlyList<OutboxMessage> Events { get; init; } = [];

    /// <summary>
    /// Nothing more is written in the transaction after this change: the caller's next call on it is its commit. Where a
    /// store never shares a transaction between callers (<see cref="IStore.GroupCommitLanes"/> 0: each commit alone), it
    /// may then commit with the change's own statement (PostgreSQL sends the statement and its <c>COMMIT</c> together, so
    /// a step's commit is one round trip); the caller's commit confirms it and runs its callbacks, and a write after it
    /// fails. Elsewhere it changes nothing.
    /// </summary>
    public bool Last { get; init; }
}
