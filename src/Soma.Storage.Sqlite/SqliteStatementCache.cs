using Microsoft.Data.Sqlite;

namespace Soma.Storage.Sqlite;

/// <summary>
/// The writer connection's compiled statements, kept across transactions: a command the adapters write with is taken by
/// its SQL text, and disposing it puts it back with its statements still compiled, so the next transaction binds and
/// steps them instead of parsing and planning the SQL again (a third of a durable step's CPU went there). Only the
/// writer's gate holder uses it, one transaction at a time; a text already taken (two open commands of the same SQL)
/// gets a command of its own. At most <see cref="Capacity"/> texts are kept; others are compiled each time, as before.
/// </summary>
internal sealed class SqliteStatementCache : IDisposable
{
    /// <summary>The most SQL texts kept compiled.</summary>
    public const int Capacity = 256;

    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, CachedCommand> _idle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteInsert> _inserts = new(StringComparer.Ordinal);
    private int _kept;
    private bool _disposed;

    public SqliteStatementCache(SqliteConnection connection) => _connection = connection;

    /// <summary>A command for <paramref name="sql"/> in <paramref name="transaction"/>, compiled already if it was used before.</summary>
    public SqliteCommand Rent(string sql, SqliteTransaction transaction)
    {
        if (!_idle.Remove(sql, out var command))
        {
            var keep = !_disposed && _kept < Capacity;
            command = new CachedCommand(keep ? this : null) { Connection = _connection, CommandText = sql };
            if (keep)
            {
                _kept++;
            }
        }

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

    /// <summary>Releases every compiled statement kept (the writer connection is closing).</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var insert in _inserts.Values)
        {
            insert.Dispose();
        }

        _inserts.Clear();
        foreach (var command in _idle.Values)
        {
            command.Release();
        }

        _idle.Clear();
    }

    // Back from a caller: kept compiled unless the cache is gone or another command of the same text is there already.
    private bool Return(CachedCommand command)
    {
        if (_disposed || !_idle.TryAdd(command.CommandText, command))
        {
            _kept--;
            return false;
        }

        command.Parameters.Clear();
        command.Transaction = null;
        return true;
    }

    private sealed class CachedCommand(SqliteStatementCache? owner) : SqliteCommand
    {
        private SqliteStatementCache? _owner = owner;

        public void Release()
        {
            _owner = null;
            Dispose();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _owner is { } owner && owner.Return(this))
            {
                return;
            }

            _owner = null;
            base.Dispose(disposing);
        }
    }
}
