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
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _completed ? throw new InvalidOperationException("The transaction has already been committed.") : this;
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        EnsureActive();
        if (_aborted)
        {
            throw new StoreException("Could not commit: a statement of this transaction failed, so the database rolled it back.", isTransient: false);
        }

        try
        {
            await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _completed = true;
        }
        catch (NpgsqlException ex)
        {
            throw PostgresStore.Translate(ex, "commit");
        }

        _onCommitted.Run();
    }

    public void OnCommitted(Action callback)
    {
        EnsureActive();
        _onCommitted.Add(callback);
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
