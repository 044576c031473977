namespace Soma.Core.Storage;

/// <summary>
/// Group commit: the commits of concurrent callers (run steps, accepted messages) that arrive while a transaction is being
/// written share the next transaction, so one log flush carries many step results and the per-transaction work (a pooled
/// connection, begin, commit) is paid once. A caller with fewer than <see cref="IStore.GroupCommitLanes"/> leaders at work
/// leads: it drains the queue batch by batch until it is empty. One lane suits a single writer (SQLite); with several, a
/// batch's statements run while another batch waits for its flush. A caller's result is handed back only after its batch
/// committed, so no step ever observes an uncommitted result. Each caller's checks stay in its own work (a run's version
/// and lease fencing is a condition of its own update, answered as a value), so a fenced run commits nothing of its own and
/// takes nothing from the others. If anything in a batch throws (on PostgreSQL a failed statement also aborts the rest of
/// the transaction), the batch is rolled back and each of its commits is retried alone, so one run's failure never takes
/// another run's commit with it.
/// </summary>
public sealed class GroupCommitter(IStore store)
{
    // A ceiling on one transaction, so it never grows with the queue (nor holds its row locks for long).
    private const int MaxBatch = 256;
    private readonly Lock _lock = new();
    private readonly List<Pending> _pending = [];
    private int _leaders;

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction (shared with concurrent callers when the engine groups commits) and
    /// returns its result once that transaction committed. An exception from <paramref name="work"/> when it ran alone is
    /// thrown here. The work may run twice (in a shared transaction rolled back, then alone), so it must act outside the
    /// transaction only through <see cref="IStoreTransaction.OnCommitted"/>, and must let a store exception through.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<IStoreTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var pending = new Pending(async (tx, token) => await work(tx, token).ConfigureAwait(false), cancellationToken);
        var lanes = store.GroupCommitLanes;
        if (lanes <= 0)
        {
            // Each commit goes straight to the engine, which groups the log flushes of parallel writers itself.
            await CommitAloneAsync(pending).ConfigureAwait(false);
            return (T)(await pending.Completion.Task.ConfigureAwait(false))!;
        }

        bool lead;
        lock (_lock)
        {
            _pending.Add(pending);
            lead = _leaders < lanes;
            if (lead)
            {
                _leaders++;
            }
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
                    _leaders--;
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
