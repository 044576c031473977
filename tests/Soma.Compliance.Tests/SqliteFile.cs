using Microsoft.Data.Sqlite;

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

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        return connection;
    }
}
