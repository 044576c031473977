using Npgsql;
using Soma.Core.Storage;

namespace Soma.Storage.Postgres;

/// <summary>A transaction on its own pooled connection; disposing it without a commit rolls back.</summary>
internal sealed class PostgresStoreTransaction(PostgresStore store, NpgsqlConnection connection, NpgsqlTransaction transaction) : IStoreTransaction
{
    private readonly CommitCallbacks _onCommitted = new();
    private bool _completed;
    private bool _disposed;

    public PostgresStore Store { get; } = store;

    public NpgsqlCommand CreateCommand(string sql) => new(sql, connection, transaction);

    public PostgresStoreTransaction EnsureActive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _completed ? throw new InvalidOperationException("The transaction has already been committed.") : this;
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        EnsureActive();
        try
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
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
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
