using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Core.Health;
using Soma.Core.Storage;
using SQLitePCL;

namespace Soma.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Writes go through a single writer connection guarded by a gate
/// (SQLite allows one writer at a time anyway; queueing in-process is cheaper than lock retries), each write
/// transaction starts with <c>BEGIN IMMEDIATE</c>. Reads use pooled connections and never block the writer.
/// SQLite does its I/O synchronously, so the adapters dispose commands, readers and connections with plain
/// <c>using</c>: an async dispose would only add a thread hop.
/// </summary>
internal sealed partial class SqliteStore : IStore, IAsyncDisposable
{
    private readonly WriterGate _writeGate = new();
    private readonly SqliteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private SqliteConnection? _writer;
    private SqliteStatementCache? _statements;
    private SqliteDatabaseLock? _inUse;
    private CancellationTokenSource? _checkpointStop;
    private Task? _checkpoints;
    private bool _disposed;
    private int _writers;
    private string _lastWrite = "none yet";

    /// <summary>Creates the store; nothing is opened until the first call.</summary>
    public SqliteStore(IOptions<SqliteStoreOptions> options, TimeProvider timeProvider, ILogger<SqliteStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options.Value;
        if (string.IsNullOrWhiteSpace(_options.Path))
        {
            throw new ArgumentException("Soma:Store:Sqlite:Path must name the database file.", nameof(options));
        }

        TimeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = System.IO.Path.GetFullPath(_options.Path),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <inheritdoc />
    public string Engine => "sqlite";

    /// <inheritdoc />
    public int GroupCommitLanes => Pipelined ? 2 : 1;

    /// <summary>Makes commits durable off the writer when <see cref="SqliteStoreOptions.PipelinedFlush"/> applies; else null.</summary>
    internal WalFlusher? Flusher { get; private set; }

    private bool Pipelined => _options.PipelinedFlush && _options.Synchronous == SqliteSynchronous.Full && OperatingSystem.IsLinux();

    /// <summary>The full path of the database file.</summary>
    public string Path => System.IO.Path.GetFullPath(_options.Path);

    /// <summary>The clock every adapter on this store uses for "now".</summary>
    public TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var migrations = EmbeddedMigrations.Load(typeof(SqliteStore).Assembly);
        using var transaction = await BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var connection = transaction.Connection;
        await ExecuteAsync(connection, transaction.Transaction,
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)",
            cancellationToken).ConfigureAwait(false);

        var applied = new HashSet<string>(StringComparer.Ordinal);
        using (var command = transaction.CreateCommand("SELECT name FROM schema_migrations"))
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(reader.GetString(0));
            }
        }

        var newlyApplied = new List<string>();
        foreach (var (name, sql) in migrations)
        {
            if (applied.Contains(name))
            {
                continue;
            }

            await ExecuteAsync(connection, transaction.Transaction, sql, cancellationToken).ConfigureAwait(false);
            using var record = transaction.CreateCommand("INSERT INTO schema_migrations (name, applied_at) VALUES ($name, $at)");
            record.Parameters.AddWithValue("$name", name);
            record.Parameters.AddWithValue("$at", TimeProvider.GetUtcNow().UtcTicks);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            newlyApplied.Add(name);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var name in newlyApplied)
        {
            Log.MigrationApplied(_logger, name, Path);
        }

        return newlyApplied;
    }

    /// <inheritdoc />
    public async Task<IStoreTransaction> BeginAsync(CancellationToken cancellationToken = default) =>
        await BeginWriteAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var details = new Dictionary<string, object?>
        {
            ["engine"] = Engine,
            ["path"] = Path,
            ["synchronous"] = _options.Synchronous.ToString().ToUpperInvariant(),
            ["log_flush"] = Pipelined ? "pipelined" : "in_commit",
        };
        if (Flusher is { } flusher)
        {
            // Commits per flush is the group flush at work; written minus durable, the commits waiting for theirs.
            var (written, durable, flushes) = flusher.Counts;
            details["commits_written"] = written;
            details["commits_durable"] = durable;
            details["log_flushes"] = flushes;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode";
            details["journal_mode"] = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            details["latency_ms"] = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3);
            return new ComponentHealth("store", HealthStatus.Normal, details);
        }
        catch (SqliteException ex)
        {
            details["error"] = ex.Message;
            return new ComponentHealth("store", HealthStatus.Down, details);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _writeGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_checkpointStop is not null)
            {
                await _checkpointStop.CancelAsync().ConfigureAwait(false);
                await _checkpoints!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                _checkpointStop.Dispose();
                _checkpointStop = null;
            }

            Flusher?.Dispose();
            Flusher = null;
            if (_writer is not null)
            {
                CloseWriter(_writer);
                SqliteConnection.ClearPool(_writer);
                _writer = null;
            }

            _inUse?.Dispose();
            _inUse = null;
        }
        finally
        {
            _writeGate.Release();
        }

        SqliteConnection.ClearAllPools();
    }

    /// <summary>Takes the write gate and starts an immediate transaction on the writer connection.</summary>
    internal async Task<SqliteStoreTransaction> BeginWriteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Interlocked.Increment(ref _writers);
        try
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            WriterDone();
            throw;
        }

        try
        {
            var writer = await GetWriterAsync(cancellationToken).ConfigureAwait(false);
            RollBackStrayTransaction(writer);
            var transaction = (SqliteTransaction)await writer.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new SqliteStoreTransaction(this, writer, transaction, _writeGate, _statements!);
        }
        catch (SqliteException ex)
        {
            _writeGate.Release();
            WriterDone();
            throw Translate(ex, "start a transaction");
        }
        catch
        {
            _writeGate.Release();
            WriterDone();
            throw;
        }
    }

    /// <summary>
    /// Whether only one write transaction is under way (waiting for the write gate, running, or waiting for its flush):
    /// then its committer flushes the log on its own thread, as nothing could run meanwhile.
    /// </summary>
    internal bool OneWriter => Volatile.Read(ref _writers) == 1;

    /// <summary>A write transaction begun by <see cref="BeginWriteAsync"/> is over: rolled back, or committed and durable.</summary>
    internal void WriterDone() => Interlocked.Decrement(ref _writers);

    /// <summary>How the last write transaction ended (committed, rolled back, or its rollback failed), for the log line below.</summary>
    internal void WriteEnded(string how) => _lastWrite = how;

    // The write gate is held and every transaction of this store before it has ended, so SQLite must be out of any
    // transaction on the writer. Should it still be in one that no SqliteTransaction owns, every BEGIN would fail with
    // "cannot start a transaction within a transaction", and the writer would keep SQLite's write lock, until the process
    // restarted (a gateway once stopped leasing runs that way). That transaction is rolled back: nothing in it was
    // committed, so no caller was told it was. (The likely way there: Microsoft.Data.Sqlite begins a transaction with a
    // command of its own, and disposing that command after BEGIN ran could throw on a command list that two threads had
    // changed at once, which the statement cache's late returns did; see SqliteStatementCache.)
    private void RollBackStrayTransaction(SqliteConnection writer)
    {
        var handle = writer.Handle!;
        if (raw.sqlite3_get_autocommit(handle) != 0)
        {
            return;
        }

        var rc = raw.sqlite3_exec(handle, "ROLLBACK");
        if (rc != raw.SQLITE_OK)
        {
            var error = raw.sqlite3_errmsg(handle).utf8_to_string();
            Log.StrayTransactionNotRolledBack(_logger, Path, _lastWrite, error);
            throw new StoreException($"SQLite could not start a transaction: the writer of {Path} is still in a transaction no store transaction owns, and rolling it back failed: {error}", isTransient: true);
        }

        Log.StrayTransactionRolledBack(_logger, Path, _lastWrite);
    }

    /// <summary>Opens a pooled connection for reading.</summary>
    internal async Task<SqliteConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Translate(ex, "open the database");
        }
    }

    /// <summary>Unwraps a transaction handed in by a caller, refusing one from another store.</summary>
    internal SqliteStoreTransaction Own(IStoreTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return transaction is SqliteStoreTransaction own && ReferenceEquals(own.Store, this)
            ? own.EnsureActive()
            : throw new ArgumentException("The transaction was not started by this SQLite store.", nameof(transaction));
    }

    /// <summary>Maps an engine error to the store's exception, saying whether a retry can help.</summary>
    internal static StoreException Translate(SqliteException ex, string operation)
    {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer held the lock longer than the busy timeout.
        var transient = ex.SqliteErrorCode is 5 or 6;
        return new StoreException($"SQLite could not {operation}: {ex.Message}", transient, ex);
    }

    private async Task<SqliteConnection> GetWriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is { State: System.Data.ConnectionState.Open })
        {
            return _writer;
        }

        if (_writer is not null)
        {
            CloseWriter(_writer);
        }

        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Held (shared) while this store may write: soma restore takes it exclusively and so never replaces the file
        // under a server, and a server does not start writing into a file being restored.
        try
        {
            _inUse ??= SqliteDatabaseLock.Shared(Path);
        }
        catch (IOException ex) when (SqliteDatabaseLock.IsHeldElsewhere(ex))
        {
            throw new StoreException(
                $"SQLite cannot write to {Path}: another process holds {SqliteDatabaseLock.PathFor(Path)} alone (soma restore is replacing the database); start again when it has finished.", isTransient: true, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"SQLite cannot create {SqliteDatabaseLock.PathFor(Path)} beside the database: {ex.Message}", isTransient: false, ex);
        }

        // The writer is not pooled: its pragmas are set once and it lives as long as the store. temp_store = MEMORY keeps
        // its statement journals in memory: a statement that changes more than 64 KiB of pages inside a transaction (the
        // memory service's batch upsert, about once per batch) had SQLite create, fill and delete a file in /var/tmp each
        // time. A statement journal holds only the pages one statement changes, so it stays small.
        var writer = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        await writer.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Pipelined, the writer commits without waiting for the disk and the flusher makes each commit durable before its
        // caller goes on.
        var synchronous = _options.Synchronous == SqliteSynchronous.Full && !Pipelined ? "FULL" : "NORMAL";
        var background = _options.CheckpointIntervalMilliseconds > 0;
        // One statement per command: Microsoft.Data.Sqlite runs the statements after one that returns a row (journal_mode
        // returns the mode) only when it disposes the reader, and drops their errors there. busy_timeout comes first, so
        // journal_mode waits for a lock as every later statement does.
        try
        {
            await ExecuteAsync(writer, null, $"PRAGMA busy_timeout = {_options.BusyTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
            using (var journal = writer.CreateCommand())
            {
                journal.CommandText = "PRAGMA journal_mode = WAL";
                var mode = await journal.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                if (!string.Equals(mode as string, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new StoreException($"SQLite could not put {Path} in write-ahead log mode: it stays in {mode} mode.", isTransient: false);
                }
            }

            string[] pragmas =
            [
                $"PRAGMA synchronous = {synchronous}",
                "PRAGMA foreign_keys = ON",
                "PRAGMA temp_store = MEMORY",
                $"PRAGMA journal_size_limit = {_options.MaxWalBytes.ToString(CultureInfo.InvariantCulture)}",
                .. background ? ["PRAGMA wal_autocheckpoint = 0"] : Array.Empty<string>(),
            ];
            foreach (var pragma in pragmas)
            {
                await ExecuteAsync(writer, null, pragma, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _statements = new SqliteStatementCache(writer);
        _writer = writer;
        if (Pipelined)
        {
            Flusher?.Dispose();
            Flusher = new WalFlusher(Path);
        }
        if (background && _checkpoints is null)
        {
            _checkpointStop = new CancellationTokenSource();
            _checkpoints = Task.Run(() => CheckpointAsync(_checkpointStop.Token), CancellationToken.None);
        }

        return writer;
    }

    // The write-ahead log copied back into the database on a connection of its own, off the writer: a PASSIVE checkpoint
    // takes no write lock, so commits go on while it copies and fsyncs, and the writer starts the log over once a
    // checkpoint has copied all of it. (Left to SQLite, the commit that crosses 1,000 pages does the copy itself.)
    // Under a steady stream of commits a passive checkpoint never finds the log fully copied at a commit's start, so the
    // log would only grow (about 1 GB in 8 s of the runner benchmark): past MaxWalBytes a RESTART checkpoint runs between
    // two commits (the write gate held), copies what the passive one left, and the next commit starts the log over.
    private async Task CheckpointAsync(CancellationToken stoppingToken)
    {
        // Real time, whatever clock the store's adapters read: a test's frozen clock must not stop the checkpoints.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.CheckpointIntervalMilliseconds), TimeProvider.System);
        SqliteConnection? connection = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    if (connection is null)
                    {
                        connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
                        connection.Open();
                        using var pragma = connection.CreateCommand();
                        // A RESTART holds the write lock while it waits for readers to leave the log: waiting at most
                        // 100 ms (then it does what a passive one does) bounds how long it can hold up a commit.
                        pragma.CommandText = $"PRAGMA busy_timeout = {Math.Min(100, _options.BusyTimeoutMilliseconds).ToString(CultureInfo.InvariantCulture)}";
                        pragma.ExecuteNonQuery();
                    }

                    using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                    command.ExecuteNonQuery();
                    if (WalBytes() > _options.MaxWalBytes)
                    {
                        // Under load the passive checkpoints copy pages into the database file but do not sync it: SQLite
                        // syncs the database only when a checkpoint reaches the end of the log, which commits keep moving.
                        // The RESTART's sync would then write back all of that with the gate held (25–45 ms in ingest).
                        WriteBackBeforeRestart();

                        // Between two of this process's commits (its write gate held), or a stream of them would starve
                        // the checkpoint's wait for SQLite's write lock.
                        await _writeGate.WaitAsync(stoppingToken).ConfigureAwait(false);
                        try
                        {
                            command.CommandText = "PRAGMA wal_checkpoint(RESTART)";
                            command.ExecuteNonQuery();
                        }
                        finally
                        {
                            _writeGate.Release();
                        }
                    }
                }
                catch (SqliteException ex)
                {
                    // The next tick tries again on a fresh connection; until one succeeds the log only grows.
                    Log.CheckpointFailed(_logger, Path, ex);
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            connection?.Dispose();
        }
    }

    // A head start for the RESTART's own sync, outside the write gate: syncfs(2) of the file system that holds the log,
    // through a descriptor of the log. Never a descriptor of the database file: closing any of those drops every POSIX
    // lock the process holds on it, SQLite's included. SQLite's sync still runs after this and reports any failure, so an
    // error here is left to it.
    private void WriteBackBeforeRestart()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = DurableFiles.OpenReadOnly(Path + "-wal");
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = DurableFiles.SyncFileSystem(fd);
        }
        finally
        {
            _ = DurableFiles.Close(fd);
        }
    }

    // With its compiled statements, under the statement cache's lock: a command given back after its transaction let the
    // gate go is then either kept or disposed, never while the connection closes.
    private void CloseWriter(SqliteConnection writer)
    {
        if (_statements is { } statements)
        {
            statements.Close();
            _statements = null;
        }
        else
        {
            writer.Dispose();
        }
    }

    private long WalBytes()
    {
        var wal = new FileInfo(Path + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.SqliteStoreMigrationApplied, Level = LogLevel.Information, Message = "Applied SQLite migration {Migration} to {Path}")]
        public static partial void MigrationApplied(ILogger logger, string migration, string path);

        [LoggerMessage(EventId = LogEvents.SqliteStoreCheckpointFailed, Level = LogLevel.Warning, Message = "Checkpointing the write-ahead log of {Path} failed")]
        public static partial void CheckpointFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(EventId = LogEvents.SqliteStoreStrayTransactionRolledBack, Level = LogLevel.Error,
            Message = "The SQLite writer of {Path} was still in a transaction that no store transaction owned (the last write transaction before it: {LastWrite}); rolled it back, nothing in it had been committed")]
        public static partial void StrayTransactionRolledBack(ILogger logger, string path, string lastWrite);

        [LoggerMessage(EventId = LogEvents.SqliteStoreStrayTransactionNotRolledBack, Level = LogLevel.Error,
            Message = "The SQLite writer of {Path} is still in a transaction that no store transaction owns (the last write transaction before it: {LastWrite}), and rolling it back failed: {Error}")]
        public static partial void StrayTransactionNotRolledBack(ILogger logger, string path, string lastWrite, string error);
    }
}
