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
/// The transaction begins with its first command (Npgsql sends its <c>BEGIN</c> with that command), so a transaction whose
/// only write is its last (<see cref="ReadAllAsync"/>) goes to the server as one batch with its own <c>BEGIN</c> and
/// <c>COMMIT</c>, answered once.
/// </summary>
internal sealed class PostgresStoreTransaction : IStoreTransaction
{
    // The transaction each open connection carries, for a failed command to mark. Weak: a connection object is used for
    // one transaction only, and the entry goes with it.
    private static readonly ConditionalWeakTable<NpgsqlConnection, PostgresStoreTransaction> ByConnection = new();

    private readonly NpgsqlConnection _connection;
    private NpgsqlTransaction? _transaction;
    private readonly CommitCallbacks _onCommitted = new();
    private bool _aborted;
    private bool _committedWithStatement;
    private bool _completed;
    private bool _disposed;

    public PostgresStoreTransaction(PostgresStore store, NpgsqlConnection connection)
    {
        Store = store;
        _connection = connection;
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

    public NpgsqlCommand CreateCommand(string sql) => new(sql, _connection, Begun);

    public NpgsqlBatch CreateBatch() => new(_connection, Begun);

    /// <summary>A command for <see cref="ReadAllAsync"/> to run, which begins the transaction only when it runs it.</summary>
    public NpgsqlCommand CreateStatement(string sql) => new(sql, _connection);

    // Npgsql's BeginTransaction sends nothing: its BEGIN goes to the server in front of the next command.
    private NpgsqlTransaction Begun => _transaction ??= _connection.BeginTransaction();

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
    /// trip, and <see cref="CommittedWithStatement"/>. When it is also the transaction's first command, its <c>BEGIN</c> is
    /// in the same batch: the server answers the three at once, where a <c>BEGIN</c> sent ahead by Npgsql is answered on its
    /// own and costs the client a second read.
    /// </summary>
    public Task<List<T>> ReadAllAsync<T>(NpgsqlCommand statement, Func<DbDataReader, T> read, string operation, bool last, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statement);
        if (last && Store.GroupCommitLanes == 0)
        {
            return CommitWithAsync(statement, read, operation, cancellationToken);
        }

        statement.Transaction = Begun;
        return PostgresCommands.ReadAllAsync(statement, read, operation, cancellationToken);
    }

    private async Task<List<T>> CommitWithAsync<T>(NpgsqlCommand statement, Func<DbDataReader, T> read, string operation, CancellationToken cancellationToken)
    {
        EnsureActive();
        ThrowIfAborted();

        // Nothing sent yet: the batch begins the transaction itself, at Npgsql's isolation level for BeginTransaction().
        var beginsItself = _transaction is null;
        using var batch = beginsItself ? new NpgsqlBatch(_connection) : CreateBatch();
        if (beginsItself)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN ISOLATION LEVEL READ COMMITTED"));
        }

        // The statement's parameters move to the batch's command (a parameter belongs to one collection at a time): no
        // copy of each (a step's commit has about twenty).
        var command = new NpgsqlBatchCommand(statement.CommandText);
        var parameters = new NpgsqlParameter[statement.Parameters.Count];
        statement.Parameters.CopyTo(parameters, 0);
        statement.Parameters.Clear();
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
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
            // A batch that began its own transaction leaves it aborted on the server; Npgsql rolls back whatever transaction
            // the server reports open when the connection goes back to the pool (PostgresLastChangeTests).
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

        // No command ran (nothing was begun): nothing to commit.
        if (!_committedWithStatement && _transaction is not null)
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
            if (_transaction is not null)
            {
                await _transaction.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
