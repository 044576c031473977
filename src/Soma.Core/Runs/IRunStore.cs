using Soma.Core.Storage;

namespace Soma.Core.Runs;

/// <summary>Workflow runs: accepted records, leases for workers, and compare-and-swap commits with checkpoints.</summary>
public interface IRunStore
{
    /// <summary>
    /// Adds an accepted run inside <paramref name="transaction"/>. When the tenant already has a run with the same
    /// idempotency key, adds nothing and returns that run instead.
    /// </summary>
    Task<RunRecord> CreateAsync(IStoreTransaction transaction, RunRecord run, CancellationToken cancellationToken = default) =>
        CreateAsync(transaction, new RunAcceptance(run), cancellationToken);

    /// <summary>
    /// Adds an accepted run and its events (<see cref="RunAcceptance.Events"/>) inside <paramref name="transaction"/>. When
    /// the tenant already has a run with the same idempotency key, adds nothing, writes none of the events, and returns that
    /// run instead.
    /// </summary>
    Task<RunRecord> CreateAsync(IStoreTransaction transaction, RunAcceptance acceptance, CancellationToken cancellationToken = default);

    /// <summary>The run, or null when it does not exist for this tenant.</summary>
    Task<RunRecord?> GetAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's runs, newest first, filtered.</summary>
    Task<Page<RunRecord>> ListAsync(string tenantId, RunQuery query, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leases up to <see cref="RunLeaseRequest.MaxRuns"/> runnable runs (accepted or running, due, and not leased by a
    /// live lease), oldest first, to the worker. Concurrent workers never receive the same run.
    /// </summary>
    Task<IReadOnlyList<RunRecord>> AcquireAsync(RunLeaseRequest request, CancellationToken cancellationToken = default);

    /// <summary>Extends the worker's lease; false when the worker no longer holds it.</summary>
    Task<bool> RenewLeaseAsync(string owner, string tenantId, Guid runId, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies <paramref name="commit"/> inside <paramref name="transaction"/> if the run is still at the expected
    /// version (and leased to the committing worker), writing its checkpoint as the next checkpoint version.
    /// </summary>
    Task<RunCommitResult> CommitAsync(IStoreTransaction transaction, RunCommit commit, CancellationToken cancellationToken = default);
}
