using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Soma.Storage.Sqlite;

/// <summary>
/// One INSERT (or a keyed UPDATE, as a run's commit) compiled once on the writer connection and bound by position
/// through SQLitePCLRaw, the binding Microsoft.Data.Sqlite itself runs on. Kept for the rows written most (an outbox
/// row per event, an audit row per decision, a run, a message and a session event per accepted message, a run's commit
/// and its checkpoint): a command allocates a parameter per value, boxes it, converts each text to UTF-8 and builds a
/// data reader on every execution (about 2.5 KiB per row); here text is encoded to UTF-8 into a stack or pooled buffer
/// and copied by SQLite, and nothing is allocated. It runs in the writer's open transaction, as a rented command does;
/// only the writer's gate holder uses it, one execution at a time.
/// </summary>
internal sealed class SqliteInsert : IDisposable
{
    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;
    private readonly string _operation;

    public SqliteInsert(SqliteConnection connection, string sql, string operation)
    {
        _database = connection.Handle ?? throw new InvalidOperationException("The writer connection is not open.");
        _operation = operation;
        var rc = raw.sqlite3_prepare_v3(_database, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement);
        if (rc != raw.SQLITE_OK)
        {
            throw Failure(rc);
        }
    }

    /// <summary>Binds text, or NULL for null, to the 1-based parameter <paramref name="index"/>.</summary>
    public SqliteInsert Text(int index, string? value)
    {
        if (value is null)
        {
            return Null(index);
        }

        // UTF-8, the database's encoding, encoded here into a stack or pooled buffer: bound as UTF-16, SQLite would
        // allocate and convert each value again when it builds the row.
        var most = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = most <= 1024 ? stackalloc byte[most] : (rented = ArrayPool<byte>.Shared.Rent(most));
        try
        {
            var length = Encoding.UTF8.GetBytes(value, buffer);
            Check(raw.sqlite3_bind_text(_statement, index, buffer[..length]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return this;
    }

    /// <summary>Binds an id in its stored form (<c>D</c>: 36 lower-case characters) to the 1-based parameter <paramref name="index"/>.</summary>
    public SqliteInsert Id(int index, Guid value)
    {
        Span<char> text = stackalloc char[36];
        value.TryFormat(text, out _, "D");
        Check(raw.sqlite3_bind_text16(_statement, index, text));
        return this;
    }

    /// <summary>Binds an integer to the 1-based parameter <paramref name="index"/>.</summary>
    public SqliteInsert Integer(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        return this;
    }

    /// <summary>Binds an integer, or NULL for null, to the 1-based parameter <paramref name="index"/>.</summary>
    public SqliteInsert Integer(int index, long? value) =>
        value is { } number ? Integer(index, number) : Null(index);

    /// <summary>Runs the statement and returns how many rows it inserted; its bindings are cleared either way.</summary>
    /// <exception cref="Core.Storage.StoreException">SQLite refused the row (a constraint, a full disk, a lock held too long).</exception>
    public int Execute()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            return rc == raw.SQLITE_DONE ? raw.sqlite3_changes(_database) : throw Failure(rc);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }
    }

    /// <summary>
    /// Runs an INSERT with a <c>RETURNING</c> clause of one integer and returns it, or <see langword="null"/> when no row
    /// was inserted; its bindings are cleared either way. SQLite makes every change in the first step.
    /// </summary>
    /// <exception cref="Core.Storage.StoreException">SQLite refused the row.</exception>
    public long? ExecuteReturning()
    {
        try
        {
            return raw.sqlite3_step(_statement) switch
            {
                raw.SQLITE_ROW => raw.sqlite3_column_int64(_statement, 0),
                raw.SQLITE_DONE => null,
                var rc => throw Failure(rc),
            };
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }
    }

    /// <summary>
    /// Runs a statement with a <c>RETURNING</c> clause of two integers (an <c>UPDATE</c> of one row by its key) and returns
    /// them, or <see langword="null"/> when no row matched; its bindings are cleared either way. SQLite makes every change
    /// in the first step.
    /// </summary>
    /// <exception cref="Core.Storage.StoreException">SQLite refused the change.</exception>
    public (long First, long Second)? ExecuteReturningPair()
    {
        try
        {
            return raw.sqlite3_step(_statement) switch
            {
                raw.SQLITE_ROW => (raw.sqlite3_column_int64(_statement, 0), raw.sqlite3_column_int64(_statement, 1)),
                raw.SQLITE_DONE => null,
                var rc => throw Failure(rc),
            };
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    private SqliteInsert Null(int index)
    {
        Check(raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            raw.sqlite3_clear_bindings(_statement);
            throw Failure(rc);
        }
    }

    // The same exception a command would have thrown, translated as every adapter translates it.
    private Core.Storage.StoreException Failure(int rc)
    {
        try
        {
            SqliteException.ThrowExceptionForRC(rc, _database);
            return SqliteStore.Translate(new SqliteException($"SQLite error {rc}.", rc), _operation);
        }
        catch (SqliteException ex)
        {
            return SqliteStore.Translate(ex, _operation);
        }
    }
}
