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

    /// <summary>
    /// How large the write-ahead log may grow, in bytes (1 MiB to 16 GiB). Passive checkpoints never stop commits, so
    /// under a steady stream of them they rarely catch up and the log would grow without end; past this size the
    /// background connection takes the write lock for a moment (a RESTART checkpoint of what the last passive one left),
    /// the next commit starts the log over, and a log left larger than this is cut back to it. Each start-over holds
    /// commits up for tens of milliseconds, so a small limit under heavy writing costs throughput and tail latency (ingest
    /// at 64 MiB: a start-over about every half second). Default 256 MiB.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1L << 20, 16L << 30)]
    public long MaxWalBytes { get; set; } = 256L << 20;

    /// <summary>
    /// With <see cref="SqliteSynchronous.Full"/> on Linux: flush the write-ahead log on a thread of its own instead of in
    /// the commit, so the next transaction runs while the last one is flushed. A commit still returns only once a flush
    /// covers it. Default true (docs/decisions/0016-pipelined-wal-flush.md).
    /// </summary>
    public bool PipelinedFlush { get; set; } = true;
}
