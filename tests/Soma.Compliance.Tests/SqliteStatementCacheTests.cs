using System.Globalization;
using Microsoft.Data.Sqlite;
using Soma.Storage.Sqlite;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// The writer's compiled statements kept across transactions: the next transaction gets the same command with its own
/// parameters, a failed statement runs again cleanly, two open commands of one text never share a statement, and past
/// the capacity statements are compiled each time.
/// </summary>
public sealed class SqliteStatementCacheTests : IDisposable
{
    private const string Insert = "INSERT INTO notes (id, text) VALUES ($id, $text)";
    private const string Select = "SELECT text FROM notes WHERE id >= $from ORDER BY id";

    // 3,000 bytes of UTF-8 (two per é, four per 🙂): more than the positional insert encodes on the stack.
    private static readonly string Long = string.Concat(Enumerable.Repeat("é🙂", 500));

    private readonly TempDirectory _directory = new("soma-statements");
    private readonly SqliteConnection _connection;
    private readonly SqliteStatementCache _cache;

    public SqliteStatementCacheTests()
    {
        _connection = new SqliteConnection($"Data Source={Path.Combine(_directory.Path, "cache.db")};Pooling=False");
        _connection.Open();
        using (var create = _connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)";
            create.ExecuteNonQuery();
        }

        _cache = new SqliteStatementCache(_connection);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _connection.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void The_next_transaction_reuses_the_command_with_its_own_parameters_and_a_failed_statement_runs_again()
    {
        SqliteCommand first;
        using (var transaction = _connection.BeginTransaction())
        {
            first = _cache.Rent(Insert, transaction);
            first.Parameters.AddWithValue("$id", 1);
            first.Parameters.AddWithValue("$text", "one");
            first.ExecuteNonQuery();
            first.Dispose();
            transaction.Commit();
        }

        using (var transaction = _connection.BeginTransaction())
        {
            using var again = _cache.Rent(Insert, transaction);
            Assert.Same(first, again);
            Assert.Empty(again.Parameters);
            again.Parameters.AddWithValue("$id", 1);
            again.Parameters.AddWithValue("$text", "duplicate");
            var failure = Assert.Throws<SqliteException>(() => again.ExecuteNonQuery());
            Assert.Equal(19, failure.SqliteErrorCode); // SQLITE_CONSTRAINT
        }

        using (var transaction = _connection.BeginTransaction())
        {
            using (var after = _cache.Rent(Insert, transaction))
            {
                after.Parameters.AddWithValue("$id", 2);
                after.Parameters.AddWithValue("$text", "two");
                Assert.Equal(1, after.ExecuteNonQuery());
            }

            transaction.Commit();
        }

        Assert.Equal(["one", "two"], Texts(from: 0));
    }

    [Fact]
    public void Two_open_commands_of_one_text_each_read_their_own_rows()
    {
        using (var transaction = _connection.BeginTransaction())
        {
            for (var id = 1; id <= 4; id++)
            {
                using var insert = _cache.Rent(Insert, transaction);
                insert.Parameters.AddWithValue("$id", id);
                insert.Parameters.AddWithValue("$text", $"n{id}");
                insert.ExecuteNonQuery();
            }

            using var outer = _cache.Rent(Select, transaction);
            outer.Parameters.AddWithValue("$from", 1);
            using var outerRows = outer.ExecuteReader();
            Assert.True(outerRows.Read());

            using var inner = _cache.Rent(Select, transaction);
            Assert.NotSame(outer, inner);
            inner.Parameters.AddWithValue("$from", 3);
            using (var innerRows = inner.ExecuteReader())
            {
                Assert.True(innerRows.Read());
                Assert.Equal("n3", innerRows.GetString(0));
            }

            Assert.Equal("n1", outerRows.GetString(0));
            Assert.True(outerRows.Read());
            Assert.Equal("n2", outerRows.GetString(0));
            transaction.Commit();
        }
    }

    [Fact]
    public void Past_its_capacity_a_text_is_compiled_each_time_and_still_runs()
    {
        using var transaction = _connection.BeginTransaction();
        for (var i = 0; i < SqliteStatementCache.Capacity; i++)
        {
            _cache.Rent($"SELECT {i}", transaction).Dispose();
        }

        var beyond = _cache.Rent("SELECT 'beyond'", transaction);
        Assert.Equal("beyond", beyond.ExecuteScalar());
        beyond.Dispose();
        using var next = _cache.Rent("SELECT 'beyond'", transaction);
        Assert.NotSame(beyond, next);
        Assert.Equal("beyond", next.ExecuteScalar());
        using var kept = _cache.Rent("SELECT 7", transaction);
        Assert.Equal(7L, kept.ExecuteScalar());
    }

    [Fact]
    public void A_positional_insert_stores_every_value_as_a_command_would_and_runs_again_after_a_refused_row()
    {
        using (var create = _connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE rows (id TEXT PRIMARY KEY, text TEXT, number INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }

        const string Sql = "INSERT INTO rows (id, text, number) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING";
        var id = Guid.CreateVersion7();
        using (var transaction = _connection.BeginTransaction())
        {
            var insert = _cache.Insert(Sql, "add a row");
            Assert.Same(insert, _cache.Insert(Sql, "add a row"));
            Assert.Equal(1, insert.Id(1, id).Text(2, "héllo — 世界 \u0000 end").Integer(3, long.MaxValue).Execute());
            Assert.Equal(0, insert.Id(1, id).Text(2, "again").Integer(3, 1).Execute()); // the conflict clause: nothing inserted
            Assert.Equal(1, insert.Id(1, Guid.Empty).Text(2, null).Integer(3, -1).Execute());
            Assert.Equal(1, insert.Id(1, Guid.Parse("00000000-0000-0000-0000-000000000002")).Text(2, Long).Integer(3, 2).Execute()); // past the stack buffer
            transaction.Commit();
        }

        using (var transaction = _connection.BeginTransaction())
        {
            // NOT NULL refused: the store's own exception, naming the operation; the statement is reset for the next row.
            var refused = Assert.Throws<Soma.Core.Storage.StoreException>(() => _cache.Insert(Sql, "add a row").Id(1, Guid.CreateVersion7()).Text(2, "x").Execute().ToString(CultureInfo.InvariantCulture));
            Assert.Contains("add a row", refused.Message, StringComparison.Ordinal);
            Assert.Contains("NOT NULL", refused.Message, StringComparison.Ordinal);
            Assert.False(refused.IsTransient);
            Assert.Equal(1, _cache.Insert(Sql, "add a row").Id(1, Guid.Parse("00000000-0000-0000-0000-000000000001")).Text(2, "after").Integer(3, 7).Execute());
            transaction.Commit();
        }

        using var read = _connection.CreateCommand();
        read.CommandText = "SELECT id, text, typeof(text), number FROM rows ORDER BY number";
        using var reader = read.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join("|", reader.GetString(0), reader.IsDBNull(1) ? "NULL" : reader.GetString(1), reader.GetString(2), reader.GetInt64(3).ToString(CultureInfo.InvariantCulture)));
        }

        Assert.Equal(
            [
                "00000000-0000-0000-0000-000000000000|NULL|null|-1",
                $"00000000-0000-0000-0000-000000000002|{Long}|text|2",
                "00000000-0000-0000-0000-000000000001|after|text|7",
                $"{id:D}|héllo — 世界 \u0000 end|text|{long.MaxValue}",
            ],
            rows);
    }

    private List<string> Texts(int from)
    {
        using var select = _connection.CreateCommand();
        select.CommandText = Select;
        select.Parameters.AddWithValue("$from", from);
        using var reader = select.ExecuteReader();
        var texts = new List<string>();
        while (reader.Read())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }
}
