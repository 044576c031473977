using Microsoft.Data.Sqlite;
using Soma.Core.Storage;

namespace Soma.Storage.Sqlite;

/// <summary>A write transaction on the writer connection; holds the store's write gate until disposed.</summary>
internal sealed class SqliteStoreTransaction : IStoreTransaction, IDisposable
{
    private readonly WriterGate _gate;
    private readonly CommitCallbacks _onCommitted = new();
    private bool _completed;
    private bool _disposed;
    private bool _released;
    private string? _commitFailure;

    private readonly SqliteStatementCache _statements;

    public SqliteStoreTransaction(SqliteStore store, SqliteConnection connection, SqliteTransaction transaction, WriterGate gate, SqliteStatementCache statements)
    {
        _statements = statements;
        Store = store;
        Connection = connection;
        Transaction = transaction;
        _gate = gate;
    }

    public SqliteStore Store { get; }

    public SqliteConnection Connection { get; }

    public SqliteTransaction Transaction { get; }

    /// <summary>A command in this transaction; its statements stay compiled for the next transaction once it is disposed.</summary>
    public SqliteCommand CreateCommand(string sql) => _statements.Rent(sql, EnsureActive().Transaction);

    /// <summary>A positional insert in this transaction, for the rows written most (see <see cref="SqliteInsert"/>).</summary>
    public SqliteInsert Insert(string sql, string operation) => EnsureActive()._statements.Insert(sql, operation);

    public SqliteStoreTransaction EnsureActive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _completed ? throw new InvalidOperationException("The transaction has already been committed.") : this;
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default) =>
        await (await CommitCoreAsync(handOff: false, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    // Called by a group committer for a batch, or a lone commit while others queue: the flush goes to the flusher's
    // thread at once, so the committing thread is free and the other lane runs its batch meanwhile.
    public Task<Task> CommitWrittenAsync(CancellationToken cancellationToken = default) => CommitCoreAsync(handOff: true, cancellationToken);

    private async Task<Task> CommitCoreAsync(bool handOff, CancellationToken cancellationToken)
    {
        EnsureActive();
        try
        {
            await Transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _completed = true;
            Store.WriteEnded("committed");
        }
        catch (SqliteException ex)
        {
            _commitFailure = ex.Message;
            throw SqliteStore.Translate(ex, "commit");
        }
        catch (InvalidOperationException ex)
        {
            // SQLite rolled the transaction back itself (an I/O error, a full disk) before the commit.
            _commitFailure = ex.Message;
            throw;
        }

        // The callbacks run as soon as readers can see the commit, as they did when COMMIT flushed by itself: whoever
        // they wake reads what it wrote, and in-process counts of what is in the store (the memory backlog, turn slots)
        // move when a reader's count does.
        _onCommitted.Run();
        if (Store.Flusher is not { } flusher)
        {
            Store.WriterDone();
            return Task.CompletedTask;
        }

        // Written, not yet durable: the next transaction may start while the log is flushed, and the commit's caller goes
        // on only once a flush covers it. The only writer flushes on its own thread.
        ReleaseGate();
        return DurableAsync(flusher.FlushAsync(alone: !handOff && Store.OneWriter));
    }

    private async Task DurableAsync(Task flushed)
    {
        try
        {
            await flushed.ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new StoreException($"SQLite committed the transaction but could not make it durable: {ex.Message}", isTransient: false, ex);
        }
        finally
        {
            Store.WriterDone();
        }
    }

    public void OnCommitted(Action callback)
    {
        EnsureActive();
        _onCommitted.Add(callback);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    // SQLite does its I/O synchronously; an async rollback would only add a thread hop.
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_completed)
        {
            Store.WriterDone();
        }

        try
        {
            // Disposing rolls back whatever was not committed.
            Transaction.Dispose();
            if (!_completed)
            {
                Store.WriteEnded(_commitFailure is null ? "rolled back" : $"its commit failed ({_commitFailure}), then it was rolled back");
            }
        }
        catch (SqliteException ex)
        {
            Store.WriteEnded(_commitFailure is null ? $"its rollback failed ({ex.Message})" : $"its commit failed ({_commitFailure}), then its rollback failed ({ex.Message})");
            throw;
        }
        finally
        {
            ReleaseGate();
        }
    }

    private void ReleaseGate()
    {
        if (!_released)
        {
            _released = true;
            _gate.Release();
        }
    }
}
