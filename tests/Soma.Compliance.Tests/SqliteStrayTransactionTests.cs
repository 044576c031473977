using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// The SQLite writer left inside a transaction that no store transaction owns (SQLite's own state, out of step with
/// Microsoft.Data.Sqlite's): the store rolls it back before its next transaction and says so in its log, so writes go on
/// and SQLite's write lock is not held until the process restarts. A gateway in CI once stopped leasing runs for good
/// with "cannot start a transaction within a transaction".
/// </summary>
public sealed class SqliteStrayTransactionTests : IDisposable
{
    private readonly TempDirectory _directory = new("soma-stray");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_transaction_nothing_owns_is_rolled_back_before_the_next_write_which_commits()
    {
        var path = Path.Combine(_directory.Path, "soma.db");
        var logs = new ListLogger<SqliteStore>();
        await using var store = new SqliteStore(Options.Create(new SqliteStoreOptions { Path = path }), TimeProvider.System, logs);
        await store.MigrateAsync();
        await WriteAsync(store, "kept");

        // Behind the store's back, SQLite begins a transaction on the writer and changes a row in it.
        SqliteConnection writer;
        using (var transaction = await store.BeginWriteAsync(CancellationToken.None))
        {
            writer = transaction.Connection;
            await transaction.CommitAsync();
        }

        Execute(writer, "BEGIN IMMEDIATE; INSERT INTO schema_migrations (name, applied_at) VALUES ('never-committed', 0)");

        // While it is open, another connection cannot write (SQLITE_BUSY once its one-second timeout has passed).
        using (var other = Open(path))
        {
            Assert.Equal(5, Assert.Throws<SqliteException>(() => Execute(other, "BEGIN IMMEDIATE")).SqliteErrorCode);
        }

        await WriteAsync(store, "after");

        using (var reader = Open(path))
        {
            Assert.Equal(["after", "kept"], Names(reader, "SELECT name FROM schema_migrations WHERE name IN ('kept', 'after', 'never-committed') ORDER BY name"));

            // The write lock is free again.
            Execute(reader, "BEGIN IMMEDIATE");
            Execute(reader, "ROLLBACK");
        }

        var entry = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal(1003, entry.EventId);
        Assert.Contains(path, entry.Text, StringComparison.Ordinal);
        Assert.Contains("the last write transaction before it: committed", entry.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_that_own_their_transactions_log_nothing()
    {
        var logs = new ListLogger<SqliteStore>();
        await using var store = new SqliteStore(Options.Create(new SqliteStoreOptions { Path = Path.Combine(_directory.Path, "quiet.db") }), TimeProvider.System, logs);
        await store.MigrateAsync();
        for (var i = 0; i < 20; i++)
        {
            await WriteAsync(store, $"n{i}");
            using var rolledBack = await store.BeginWriteAsync(CancellationToken.None);
        }

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private static async Task WriteAsync(SqliteStore store, string name)
    {
        await using var transaction = await store.BeginAsync();
        using var command = ((SqliteStoreTransaction)transaction).CreateCommand("INSERT INTO schema_migrations (name, applied_at) VALUES ($name, 0)");
        command.Parameters.AddWithValue("$name", name);
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=false;Default Timeout=1");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<string> Names(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
