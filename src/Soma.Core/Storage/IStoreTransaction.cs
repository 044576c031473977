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
    /// Runs <paramref name="callback"/> once the transaction has committed (never when it rolls back): the place to
    /// wake whoever waits for what it wrote. Callbacks run in order on the committing thread and must not throw.
    /// </summary>
    void OnCommitted(Action callback);
}
