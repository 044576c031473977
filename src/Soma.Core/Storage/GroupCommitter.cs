namespace Soma.Core.Storage;

/// <summary>
/// Group commit for single-writer engines: the commits of concurrent callers (run steps, accepted messages) that arrive while a transaction is being written share the next
/// transaction, so one fsync carries many step results. The first caller with nothing in flight leads: it drains the
/// queue batch by batch until it is empty. A caller's result is handed back only after its batch committed, so no step
/// ever observes an uncommitted result. If anything in a batch throws, the batch is rolled back and each of its commits
/// is retried alone, so one run's failure never takes another run's commit with it.
/// </summary>
public sealed class GroupCommitter(IStore store)
{
    private const int MaxBatch = 256;
    private readonly Lock _lock = new();
    private readonly List<Pending> _pending = [];
    private bool _leading;

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction (shared with concurrent callers on a single-writer engine) and returns
    /// its result once that transaction committed. An exception from <paramref name="work"/> when it ran alone is thrown here.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<IStoreTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var pending = new Pending(async (tx, token) => await work(tx, token).ConfigureAwait(false), cancellationToken);
        if (!store.SingleWriter)
        {
            // Parallel writers: each commit goes straight to the engine, which groups its own log flushes.
            await CommitAloneAsync(pending).ConfigureAwait(false);
            return (T)(await pending.Completion.Task.ConfigureAwait(false))!;
        }

        bool lead;
        lock (_lock)
        {
            _pending.Add(pending);
            lead = !_leading;
            _leading = true;
        }

        if (lead)
        {
            await LeadAsync().ConfigureAwait(false);
        }

        return (T)(await pending.Completion.Task.ConfigureAwait(false))!;
    }

    private async Task LeadAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _leading = false;
                    return;
                }

                batch = _pending.Take(MaxBatch).ToList();
                _pending.RemoveRange(0, batch.Count);
            }

            if (batch.Count == 1 || !await TryCommitTogetherAsync(batch).ConfigureAwait(false))
            {
                foreach (var item in batch)
                {
                    await CommitAloneAsync(item).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<bool> TryCommitTogetherAsync(List<Pending> batch)
    {
        var results = new object?[batch.Count];
        try
        {
            var transaction = await store.BeginAsync(CancellationToken.None).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    results[i] = await batch[i].Work(transaction, batch[i].CancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Any failure of the shared transaction is retried commit by commit, where it is reported to its own caller.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }

        return true;
    }

    private async Task CommitAloneAsync(Pending item)
    {
        try
        {
            var transaction = await store.BeginAsync(item.CancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var result = await item.Work(transaction, item.CancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(item.CancellationToken).ConfigureAwait(false);
                item.Completion.TrySetResult(result);
            }
        }
        catch (OperationCanceledException ex)
        {
            item.Completion.TrySetCanceled(ex.CancellationToken);
        }
#pragma warning disable CA1031 // The exception is handed to the caller that owns the commit.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            item.Completion.TrySetException(ex);
        }
    }

    private sealed record Pending(Func<IStoreTransaction, CancellationToken, Task<object?>> Work, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
