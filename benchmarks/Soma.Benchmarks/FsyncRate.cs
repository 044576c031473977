using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// The machine's fsynced commits per second, sampled beside a driver's rows (the disk's pace drifts minute to minute):
/// one-row transactions into SQLite (WAL, <c>synchronous=FULL</c>) in a temporary directory, as
/// <c>benchmarks/peers/fsync.py</c> samples it for the peers.
/// </summary>
internal static class FsyncRate
{
    public static double Sample(TimeSpan duration)
    {
        using var directory = new TempDirectory("soma-bench-fsync");
        using var connection = new SqliteConnection($"Data Source={Path.Combine(directory.Path, "fsync.db")};Pooling=false");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE commits (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)";
            setup.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO commits (at) VALUES ($at)";
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        var commits = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            at.Value = Stopwatch.GetTimestamp();
            insert.ExecuteNonQuery();
            transaction.Commit();
            commits++;
        }

        return commits / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
