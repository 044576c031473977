namespace Soma.Core.Storage;

/// <summary>
/// A write transaction on the store. Ports take it as their first argument so that a caller can put writes
/// to several ports into one atomic commit. Disposing an uncommitted transaction rolls it back.
/// </summary>
public interface IStoreTransaction : IAsyncDisposable
{
    /// <summary>Commits every write made through this transaction; once this returns the writes are durable.</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits as <see cref="CommitAsync"/> does, but returns as soon as the engine may begin the next transaction, with a
    /// task that completes once the writes are durable (or fails if they could not be made
    /// durable: then the transaction must not be run again, as it may have committed). An engine that flushes its log
    /// apart from the commit (SQLite, docs/decisions/0016-pipelined-wal-flush.md) lets a group committer's other lane run
    /// its batch while this one is flushed, with no thread waiting in the flush; by default this waits for durability
    /// before it returns.
    /// </summary>
    async Task<Task> CommitWrittenAsync(CancellationToken cancellationToken = default)
    {
        await CommitAsync(cancellationToken).ConfigureAwait(false);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Runs <paramref name="callback"/> once the transaction has committed (never when it rolls back): the place to
    /// wake whoever waits for what it wrote. Callbacks run in order on the committing thread, as soon as readers can see
    /// the commit (an engine that flushes its log apart from the commit runs them before its flush), and must not throw.
    /// </summary>
    void OnCommitted(Action callback);
}
