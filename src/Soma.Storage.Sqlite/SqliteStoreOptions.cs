namespace Soma.Storage.Sqlite;

/// <summary>Settings of the embedded SQLite store (section <c>Soma:Store:Sqlite</c>).</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Soma:Store:Sqlite";

    /// <summary>The database file. Default: <c>soma.db</c> in the data directory.</summary>
    public string Path { get; set; } = "";

    /// <summary>Durability of commits. Default <see cref="SqliteSynchronous.Full"/>.</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>How long a writer waits for another process's lock before the write fails, in milliseconds. Default 5000.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 600_000)]
    public int BusyTimeoutMilliseconds { get; set; } = 5000;

    /// <summary>
    /// How often a background connection copies the write-ahead log back into the database, in milliseconds; 0 leaves it
    /// to SQLite, which does it on the committing connection every 1,000 pages (a commit then waits for the copy and its
    /// fsync). Default 250.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, 60_000)]
    public int CheckpointIntervalMilliseconds { get; set; } = 250;
}
