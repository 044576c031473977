using Microsoft.Data.Sqlite;
using Soma.Core.Storage;
using Soma.Storage.Sqlite;

namespace Soma.Compliance.Tests;

/// <summary>Looks into a SQLite database file from outside the store: a value, or how SQLite would run a query.</summary>
internal static class SqliteFile
{
    /// <summary>The first column of the first row of <paramref name="sql"/>.</summary>
    public static object? Scalar(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>Whether <paramref name="table"/> is a WITHOUT ROWID table (its rows kept in its key's B-tree).</summary>
    public static bool IsWithoutRowid(string path, string table) =>
        Scalar(path, $"SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '{table}'") is string sql
            ? sql.Contains("WITHOUT ROWID", StringComparison.OrdinalIgnoreCase)
            : throw new InvalidOperationException($"No table {table}.");

    /// <summary>SQLite's plan for <paramref name="sql"/>, its steps joined by " | ".</summary>
    public static string Plan(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join(" | ", lines);
    }

    /// <summary>
    /// Writes <paramref name="message"/> as an outbox row with the columns every schema version has had (the store's own
    /// append names columns later migrations added), sent at <paramref name="sentAt"/> when given, pending otherwise.
    /// </summary>
    public static void InsertOutboxRow(string path, OutboxMessage message, DateTimeOffset? sentAt = null)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO outbox (id, tenant_id, topic, dedupe_key, partition_key, payload, created_at, next_attempt_at, status, sent_at)
            VALUES ($id, $tenant, $topic, $dedupe, $partition, $payload, $created, $created, $status, $sent)
            """;
        command.Parameters.AddWithValue("$id", SqliteValues.Id(message.Id));
        command.Parameters.AddWithValue("$tenant", message.TenantId);
        command.Parameters.AddWithValue("$topic", message.Topic);
        command.Parameters.AddWithValue("$dedupe", message.DedupeKey);
        command.Parameters.AddWithValue("$partition", (object?)message.PartitionKey ?? DBNull.Value);
        command.Parameters.AddWithValue("$payload", message.Payload);
        command.Parameters.AddWithValue("$created", SqliteValues.Ticks(message.CreatedAt));
        command.Parameters.AddWithValue("$status", sentAt is null ? 0 : 1);
        command.Parameters.AddWithValue("$sent", sentAt is { } sent ? SqliteValues.Ticks(sent) : DBNull.Value);
        command.ExecuteNonQuery();
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        return connection;
    }
}
