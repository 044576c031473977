using System.Data.Common;
using System.Runtime.CompilerServices;
using Npgsql;
using Soma.Core.Storage;

namespace Soma.Storage.Postgres;

/// <summary>
/// A transaction on its own pooled connection; disposing it without a commit rolls back. A statement that fails inside it
/// aborts it on the server, which then answers COMMIT with a silent ROLLBACK that Npgsql reports as success. So a failure
/// is remembered (<see cref="Failed"/>) and the commit refused: a caller that caught the error and went on, or the other
/// callers sharing the transaction (group commit), are never told that work the server threw away was committed.
/// </summary>
internal sealed class PostgresStoreTransaction : IStoreTransaction
{
    // The transaction each open connection carries, for a failed command to mark. Weak: a connection object is used for
    // one transaction only, and the entry goes with it.
    private static readonly ConditionalWeakTable<NpgsqlConnection, PostgresStoreTransaction> ByConnection = new();

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly CommitCallbacks _onCommitted = new();
    private bool _aborted;
    private bool _committedWithStatement;
    private bool _completed;
    private bool _disposed;

    public PostgresStoreTransaction(PostgresStore store, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        Store = store;
        _connection = connection;
        _transaction = transaction;
        ByConnection.AddOrUpdate(connection, this);
    }

    public PostgresStore Store { get; }

    /// <summary>Marks the transaction <paramref name="connection"/> carries, if any, as aborted by the server (a statement on it failed).</summary>
    public static void Failed(NpgsqlConnection? connection)
    {
        if (connection is not null && ByConnection.TryGetValue(connection, out var owner))
        {
            owner._aborted = true;
        }
    }

    public NpgsqlCommand CreateCommand(string sql) => new(sql, _connection, _transaction);

    public NpgsqlBatch CreateBatch() => new(_connection, _transaction);

    public PostgresStoreTransaction EnsureActive()
    {
        EnsureOpen();
        return _committedWithStatement
            ? throw new InvalidOperationException("The transaction was committed with its last change (RunCommit.Last); nothing more can be written in it.")
            : this;
    }

    /// <summary>Whether the transaction went to the server with its last statement (<see cref="ReadAllAsync"/>).</summary>
    public bool CommittedWithStatement => _committedWithStatement;

    /// <summary>
    /// Runs <paramref name="statement"/> in the transaction and reads its rows with <paramref name="read"/>. When it is the
    /// transaction's last write (<paramref name="last"/>) and the store never shares a transaction between callers
    /// (<see cref="PostgresStore.GroupCommitLanes"/> 0), its <c>COMMIT</c> goes to the server with it, in one batch: one round
    /// trip, and <see cref="CommittedWithStatement"/>.
    /// </summary>
    public Task<List<T>> ReadAllAsync<T>(NpgsqlCommand statement, Func<DbDataReader, T> read, string operation, bool last, CancellationToken cancellationToken) =>
        last && Store.GroupCommitLanes == 0
            ? CommitWithAsync(statement, read, operation, cancellationToken)
            : PostgresCommands.ReadAllAsync(statement, read, operation, cancellationToken);

    private async Task<List<T>> CommitWithAsync<T>(NpgsqlCommand statement, Func<DbDataReader, T> read, string operation, CancellationToken cancellationToken)
    {
        EnsureActive();
        ThrowIfAborted();

        using var batch = CreateBatch();
        var command = new NpgsqlBatchCommand(statement.CommandText);
        foreach (NpgsqlParameter parameter in statement.Parameters)
        {
            command.Parameters.Add(parameter.Clone());
        }

        batch.BatchCommands.Add(command);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        var rows = new List<T>();
        try
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(read(reader));
                }
            }
        }
        catch (NpgsqlException ex)
        {
            // The statement failed (the server skipped the COMMIT and the transaction is aborted) or the commit did.
            _aborted = true;
            throw PostgresStore.Translate(ex, operation);
        }

        _committedWithStatement = true;
        return rows;
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        EnsureOpen();
        ThrowIfAborted();

        if (!_committedWithStatement)
        {
            try
            {
                await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                throw PostgresStore.Translate(ex, "commit");
            }
        }

        _completed = true;
        _onCommitted.Run();
    }

    public void OnCommitted(Action callback)
    {
        EnsureOpen();
        _onCommitted.Add(callback);
    }

    private void ThrowIfAborted()
    {
        if (_aborted)
        {
            throw new StoreException("Could not commit: a statement of this transaction failed, so the database rolled it back.", isTransient: false);
        }
    }

    // Neither disposed nor committed by the caller; a transaction committed with its last change still takes callbacks and
    // the caller's commit.
    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException("The transaction has already been committed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
