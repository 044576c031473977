namespace Soma.Core.Storage;

/// <summary>
/// Group commit: the commits of concurrent callers (run steps, accepted messages) that arrive while a transaction is being
/// written share the next transaction, so one log flush carries many step results and the per-transaction work (a pooled
/// connection, begin, commit) is paid once. A caller with fewer than <see cref="IStore.GroupCommitLanes"/> leaders at work
/// leads: it drains the queue batch by batch until it is empty, taking each batch once it holds the engine's write lane.
/// With several lanes, a batch's statements run while another batch waits for its flush (PostgreSQL's connections;
/// SQLite's one writer when its log is flushed apart from the commit). A caller's result is handed back only after its
/// batch committed and is durable, so no step ever observes an uncommitted result. Each caller's checks stay in its own work (a run's version
/// and lease fencing is a condition of its own update, answered as a value), so a fenced run commits nothing of its own and
/// takes nothing from the others. If anything in a batch throws (on PostgreSQL a failed statement also aborts the rest of
/// the transaction), the batch is rolled back and each of its commits is retried alone, so one run's failure never takes
/// another run's commit with it. Whichever caller leads, each caller's work runs in that caller's own execution context
/// (its <c>Activity</c>, its async locals), as it would alone: what it writes names its own trace.
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

    // A leader with commits queued takes the engine's write lane (a transaction begun) first and its batch second, so the
    // commits that arrived while it waited for the lane (another lane's batch was running its statements) join this batch.
    // Should another lane have taken them all meanwhile, the empty transaction is rolled back.
    private async Task LeadAsync()
    {
        while (true)
        {
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _leaders--;
                    return;
                }
            }

            IStoreTransaction? transaction;
            try
            {
                transaction = await store.BeginAsync(CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The batch's commits then begin one by one, and each caller sees its own failure.
            catch (Exception)
#pragma warning restore CA1031
            {
                transaction = null;
            }

            List<Pending>? batch = null;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _leaders--;
                }
                else
                {
                    batch = _pending.Take(MaxBatch).ToList();
                    _pending.RemoveRange(0, batch.Count);
                }
            }

            if (batch is null)
            {
                if (transaction is not null)
                {
                    await transaction.DisposeAsync().ConfigureAwait(false);
                }

                return;
            }

            if (transaction is null)
            {
                foreach (var item in batch)
                {
                    await CommitAloneAsync(item).ConfigureAwait(false);
                }
            }
            else if (batch.Count == 1)
            {
                await CommitInAsync(transaction, batch[0]).ConfigureAwait(false);
            }
            else if (!await TryCommitTogetherAsync(transaction, batch).ConfigureAwait(false))
            {
                foreach (var item in batch)
                {
                    await CommitAloneAsync(item).ConfigureAwait(false);
                }
            }
        }
    }

    // A batch's flush is left to the engine (CommitWrittenAsync): where it flushes apart from the commit (SQLite), another
    // lane runs the next batch's statements meanwhile, and no thread waits in the flush for this one.
    private static async Task<bool> TryCommitTogetherAsync(IStoreTransaction transaction, List<Pending> batch)
    {
        var results = new object?[batch.Count];
        Task durable;
        try
        {
            await using (transaction.ConfigureAwait(false))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    results[i] = await batch[i].RunAsync(transaction).ConfigureAwait(false);
                }

                durable = await transaction.CommitWrittenAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Any failure of the shared transaction is retried commit by commit, where it is reported to its own caller.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }

        await CompleteAsync(durable, batch, results).ConfigureAwait(false);
        return true;
    }

    // The batch committed: its callers get their results once it is durable, or its failure then. It is not run again,
    // as it may be durable after all.
    private static async Task CompleteAsync(Task durable, List<Pending> batch, object?[] results)
    {
        try
        {
            await durable.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The exception is handed to the callers that own the commits.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            foreach (var item in batch)
            {
                item.Completion.TrySetException(ex);
            }

            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }
    }

    private async Task CommitAloneAsync(Pending item)
    {
        IStoreTransaction transaction;
        try
        {
            transaction = await store.BeginAsync(item.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            item.Completion.TrySetCanceled(ex.CancellationToken);
            return;
        }
#pragma warning disable CA1031 // The exception is handed to the caller that owns the commit.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            item.Completion.TrySetException(ex);
            return;
        }

        await CommitInAsync(transaction, item).ConfigureAwait(false);
    }

    // The commit alone in its own transaction: whatever it throws is its caller's. With other commits queued or another
    // lane at work, its flush is left to the engine (CommitWrittenAsync), as a batch's is.
    private async Task CommitInAsync(IStoreTransaction transaction, Pending item)
    {
        try
        {
            await using (transaction.ConfigureAwait(false))
            {
                var result = await item.RunAsync(transaction).ConfigureAwait(false);
                bool busy;
                lock (_lock)
                {
                    busy = _pending.Count > 0 || _leaders > 1;
                }

                if (busy)
                {
                    await (await transaction.CommitWrittenAsync(item.CancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                }
                else
                {
                    await transaction.CommitAsync(item.CancellationToken).ConfigureAwait(false);
                }

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
        // The caller's execution context (its Activity, its async locals), taken where it asked to commit.
        private readonly ExecutionContext? _context = ExecutionContext.Capture();

        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>
        /// Runs the work as its caller would alone: in the caller's execution context, whichever caller leads the batch. A
        /// leader runs the others' work on its own flow, so without this a queued caller's events, audit records and memory
        /// writes would name the leader's trace (Activity.Current) instead of their own.
        /// </summary>
        public Task<object?> RunAsync(IStoreTransaction transaction)
        {
            if (_context is null)
            {
                return Work(transaction, CancellationToken);
            }

            Task<object?>? task = null;
            ExecutionContext.Run(_context, _ => task = Work(transaction, CancellationToken), null);
            return task!;
        }
    }
}
