namespace Soma.Core.Runs;

/// <summary>Reading and pruning the checkpoints that <see cref="IRunStore.CommitAsync"/> writes.</summary>
public interface ICheckpointStore
{
    /// <summary>One checkpoint, or null when it does not exist (for this tenant) or was pruned.</summary>
    Task<CheckpointRecord?> GetAsync(string tenantId, Guid runId, long version, CancellationToken cancellationToken = default);

    /// <summary>The run's newest checkpoint, or null before the first.</summary>
    Task<CheckpointRecord?> GetLatestAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>The versions still stored for the run, ascending.</summary>
    Task<IReadOnlyList<long>> ListVersionsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes checkpoints of ended runs: all but the newest <paramref name="keepLast"/> of each run, and every one
    /// of a run that ended before <paramref name="endedBefore"/> except its newest. Returns how many were deleted.
    /// </summary>
    Task<int> PruneAsync(int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken = default);
}
