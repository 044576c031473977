using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Soma.Storage.Sqlite;

/// <summary>
/// The writer connection's compiled statements, kept across transactions: a command the adapters write with is taken by
/// its SQL text, and disposing it puts it back with its statements still compiled, so the next transaction binds and
/// steps them instead of parsing and planning the SQL again (a third of a durable step's CPU went there). Only the
/// writer's gate holder takes commands, one transaction at a time; a text already taken (two open commands of the same SQL)
/// gets a command of its own. At most <see cref="Capacity"/> texts are kept idle; others are compiled each time, as before.
/// <para>
/// A command may come back after its transaction let the write gate go: a committed transaction hands the gate on as soon
/// as its commit is written (the log is flushed apart, <see cref="WalFlusher"/>), and a caller's <c>using</c> ends after
/// its commit. So a command is made ready for its next renter (its parameters and transaction cleared) before it is put
/// back, under the cache's lock, and nothing given back off the gate touches the connection: a command the cache does not
/// keep is disposed by the next gate holder, or when the connection closes (<see cref="Close"/>, under the same lock).
/// Before, such a command was put back first and cleared after, under a renter that could have it already, and one not kept
/// was disposed at once, changing the connection's command list while the gate holder used it.
/// </para>
/// </summary>
internal sealed class SqliteStatementCache : IDisposable
{
    /// <summary>The most SQL texts kept compiled.</summary>
    public const int Capacity = 256;

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CachedCommand> _idle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteInsert> _inserts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CachedCommand> _retired = new();
    private bool _disposed;

    public SqliteStatementCache(SqliteConnection connection) => _connection = connection;

    /// <summary>A command for <paramref name="sql"/> in <paramref name="transaction"/>, compiled already if it was used before.</summary>
    public SqliteCommand Rent(string sql, SqliteTransaction transaction)
    {
        DisposeRetired();
        CachedCommand? command;
        lock (_lock)
        {
            _idle.Remove(sql, out command);
        }

        command ??= new CachedCommand(this) { Connection = _connection, CommandText = sql };
        command.Transaction = transaction;
        return command;
    }

    /// <summary>The positional insert for <paramref name="sql"/>, compiled on first use and kept until the connection closes.</summary>
    public SqliteInsert Insert(string sql, string operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_inserts.TryGetValue(sql, out var insert))
        {
            insert = new SqliteInsert(_connection, sql, operation);
            _inserts.Add(sql, insert);
        }

        return insert;
    }

    /// <summary>Releases every compiled statement kept, and closes the writer connection (the gate held).</summary>
    public void Close()
    {
        lock (_lock)
        {
            Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>Releases every compiled statement kept (the writer connection is closing).</summary>
    public void Dispose()
    {
        List<CachedCommand> idle;
        lock (_lock)
        {
            _disposed = true;
            idle = [.. _idle.Values];
            _idle.Clear();
        }

        foreach (var insert in _inserts.Values)
        {
            insert.Dispose();
        }

        _inserts.Clear();
        foreach (var command in idle)
        {
            command.Release();
        }

        DisposeRetired();
    }

    // Commands given back off the gate that the cache does not keep, disposed by the gate holder (or on close).
    private void DisposeRetired()
    {
        while (_retired.TryDequeue(out var command))
        {
            command.Release();
        }
    }

    // Back from a caller, whichever thread and whether or not it still holds the gate: cleared, then kept unless the cache
    // is gone, holds Capacity texts, or holds a command of the same text already. Once the cache is disposed the connection
    // is closing under the lock, so a command is disposed at once, under it.
    private void Return(CachedCommand command)
    {
        lock (_lock)
        {
            command.Parameters.Clear();
            command.Transaction = null;
            if (_disposed)
            {
                command.Release();
                return;
            }

            if (_idle.Count < Capacity && _idle.TryAdd(command.CommandText, command))
            {
                return;
            }

            // Under the lock, so a close that takes the lock next finds it.
            _retired.Enqueue(command);
        }
    }

    private sealed class CachedCommand(SqliteStatementCache owner) : SqliteCommand
    {
        private SqliteStatementCache? _owner = owner;

        /// <summary>Disposes the command for good: its compiled statements and its place in the connection's command list.</summary>
        public void Release()
        {
            _owner = null;
            Dispose();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _owner is { } owner)
            {
                owner.Return(this);
                return;
            }

            base.Dispose(disposing);
        }
    }
}
