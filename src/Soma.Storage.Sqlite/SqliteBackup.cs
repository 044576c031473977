using System.Text;
using Microsoft.Data.Sqlite;
using Soma.Core.Storage;
using SQLitePCL;

namespace Soma.Storage.Sqlite;

/// <summary>
/// Backup and restore of the embedded store's database file through SQLite's online backup API, for <c>soma backup</c>
/// and <c>soma restore</c>.
/// <para>
/// The copy reads one snapshot: the source connection opens a read transaction first and holds it until the last page is
/// copied. In WAL mode a reader never blocks the server's writer, and the backup API does not restart when another
/// process commits (it would with steps outside one transaction, and under steady load it would never finish), so the
/// copy holds exactly what was committed when it started, whatever is written meanwhile. It is copied in steps so the
/// caller can show progress (<c>SqliteConnection.BackupDatabase</c> copies in one step, without progress).
/// </para>
/// <para>
/// Files are written beside their final name, flushed, then renamed over it, and the directory is flushed: a crash leaves
/// either the old file or the new one, plus at most a <c>.partial</c>/<c>.restoring</c> file to delete.
/// </para>
/// </summary>
public static class SqliteBackup
{
    /// <summary>Pages copied per step (4 MiB at the default page size): the granularity of the progress reports.</summary>
    private const int PagesPerStep = 1024;

    private static readonly byte[] Header = Encoding.ASCII.GetBytes("SQLite format 3\0");

    /// <summary>The migrations this version applies, in order.</summary>
    public static IReadOnlyList<string> KnownMigrations { get; } = [.. EmbeddedMigrations.Load(typeof(SqliteStore).Assembly).Select(m => m.Name)];

    /// <summary>
    /// Copies <paramref name="database"/> (in use or not) to <paramref name="destination"/>, checks the copy, and returns
    /// what it holds. The copy is a single file (rollback-journal mode) readable by <c>sqlite3</c>, mode 0600.
    /// </summary>
    /// <exception cref="SqliteBackupException">No database there, not a SomaAgent database, the destination exists, or the copy fails its check.</exception>
    public static async Task<SqliteDatabaseInfo> BackupAsync(string database, string destination, IProgress<SqliteCopyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        database = Path.GetFullPath(database);
        destination = Path.GetFullPath(destination);
        RequireDatabaseFile(database, "database");
        if (File.Exists(destination))
        {
            throw new SqliteBackupException(SqliteBackupProblem.InTheWay, $"{destination} already exists: choose another name or move it away (a backup never overwrites a file).");
        }

        var directory = Path.GetDirectoryName(destination)!;
        if (!Directory.Exists(directory))
        {
            throw new SqliteBackupException(SqliteBackupProblem.NotFound, $"the folder {directory} does not exist.");
        }

        var partial = destination + ".partial";
        try
        {
            await Task.Run(() => Copy(database, partial, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
            var info = Check(partial, destination);
            DurableFiles.Flush(partial);
            File.Move(partial, destination, overwrite: false);
            DurableFiles.FlushDirectory(directory);
            return info;
        }
        finally
        {
            DeleteQuietly(partial);
        }
    }

    /// <summary>
    /// Reads <paramref name="path"/> without changing it: a SQLite database, a SomaAgent one, at a migration level this
    /// version knows, passing <c>PRAGMA integrity_check</c>.
    /// </summary>
    /// <exception cref="SqliteBackupException">It is none of these; the message says which and what to do.</exception>
    public static SqliteDatabaseInfo Inspect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = Path.GetFullPath(path);
        RequireDatabaseFile(path, "backup");
        return Check(path, path);
    }

    /// <summary>
    /// Replaces <paramref name="database"/> with the contents of <paramref name="backup"/>, after checking the backup
    /// (<see cref="Inspect"/>) and that no process uses the database. The replaced file (with its WAL, if any) is kept as
    /// <c>{database}.pre-restore</c>. While it runs, no store can open the database for writing.
    /// </summary>
    /// <exception cref="SqliteBackupException">The backup is not usable, a server uses the database, or an earlier <c>.pre-restore</c> is in the way.</exception>
    public static async Task<SqliteRestoreResult> RestoreAsync(string backup, string database, IProgress<SqliteCopyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(backup);
        ArgumentException.ThrowIfNullOrEmpty(database);
        database = Path.GetFullPath(database);
        var info = Inspect(backup);
        if (string.Equals(info.Path, database, StringComparison.Ordinal))
        {
            throw new SqliteBackupException(SqliteBackupProblem.InTheWay, $"{info.Path} is the database itself: restore from a backup file elsewhere.");
        }

        var directory = Path.GetDirectoryName(database)!;
        Directory.CreateDirectory(directory);
        SqliteDatabaseLock exclusive;
        try
        {
            exclusive = SqliteDatabaseLock.Exclusive(database);
        }
        catch (IOException ex) when (SqliteDatabaseLock.IsHeldElsewhere(ex))
        {
            throw new SqliteBackupException(SqliteBackupProblem.InUse,
                $"{database} is in use by a running soma process (it holds {SqliteDatabaseLock.PathFor(database)}): stop every soma process on this data directory, then restore.", ex);
        }

        using (exclusive)
        {
            var preRestore = database + ".pre-restore";
            foreach (var kept in (string[])[preRestore, preRestore + "-wal"])
            {
                if (File.Exists(kept))
                {
                    throw new SqliteBackupException(SqliteBackupProblem.InTheWay,
                        $"{kept} from an earlier restore is in the way: check that the database you have is the one you want, then move or delete it.");
                }
            }

            var restoring = database + ".restoring";
            try
            {
                await Task.Run(() => Copy(info.Path, restoring, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                DurableFiles.Flush(restoring);

                // The replaced database goes aside with its WAL (which may hold its last commits: a server killed with
                // -9 leaves one), named so that SQLite finds that WAL when the kept file is opened. The shared-memory
                // index is rebuilt from the WAL, so it is dropped. A WAL left beside the new file would be replayed into it.
                var hadDatabase = File.Exists(database);
                if (hadDatabase)
                {
                    File.Move(database, preRestore);
                }

                if (File.Exists(database + "-wal"))
                {
                    File.Move(database + "-wal", preRestore + "-wal");
                }

                File.Delete(database + "-shm");
                File.Delete(database + "-journal");
                DurableFiles.Rename(restoring, database);
                return new SqliteRestoreResult(database, hadDatabase ? preRestore : null, info);
            }
            finally
            {
                DeleteQuietly(restoring);
            }
        }
    }

    private static void RequireDatabaseFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new SqliteBackupException(SqliteBackupProblem.NotFound, $"no {what} file at {path}.");
        }

        var header = new byte[Header.Length];
        int read;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        if (read < header.Length || !header.AsSpan().SequenceEqual(Header))
        {
            throw new SqliteBackupException(SqliteBackupProblem.NotSqlite, $"{path} is not a SQLite database (its first bytes are not a SQLite header).");
        }
    }

    /// <summary>Reads the migrations <paramref name="path"/> records and runs the integrity check; <paramref name="name"/> is what messages call it.</summary>
    private static SqliteDatabaseInfo Check(string path, string name)
    {
        try
        {
            using var connection = Open(path, SqliteOpenMode.ReadOnly);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'";
            if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                throw new SqliteBackupException(SqliteBackupProblem.NotSoma, $"{name} is a SQLite database but not a SomaAgent one (it has no schema_migrations table).");
            }

            var applied = new List<string>();
            command.CommandText = "SELECT name FROM schema_migrations ORDER BY name";
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    applied.Add(reader.GetString(0));
                }
            }

            var unknown = applied.Except(KnownMigrations, StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                throw new SqliteBackupException(SqliteBackupProblem.NewerSchema,
                    $"{name} was written by a newer SomaAgent: its migration(s) {string.Join(", ", unknown)} are unknown to this version, which knows up to {KnownMigrations[^1]}. Use the version that wrote it.");
            }

            command.CommandText = "PRAGMA integrity_check";
            var problems = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    problems.Add(reader.GetString(0));
                }
            }

            if (problems is not ["ok"])
            {
                throw new SqliteBackupException(SqliteBackupProblem.Damaged, $"{name} fails SQLite's integrity check: {string.Join("; ", problems.Take(5))}");
            }

            return new SqliteDatabaseInfo(name, applied, KnownMigrations, new FileInfo(path).Length);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 11 or 26)
        {
            // SQLITE_CORRUPT, SQLITE_NOTADB: a SQLite header, but not a readable database behind it.
            throw new SqliteBackupException(SqliteBackupProblem.Damaged, $"{name} cannot be read as a SQLite database: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> into a new file <paramref name="destination"/> (0600) through the backup API, from
    /// one read snapshot, then switches the copy to rollback-journal mode so it is one self-contained file.
    /// </summary>
    private static void Copy(string source, string destination, IProgress<SqliteCopyProgress>? progress, CancellationToken cancellationToken)
    {
        DeleteQuietly(destination);
        CreatePrivate(destination);
        using (var from = Open(source, SqliteOpenMode.ReadOnly))
        using (var to = Open(destination, SqliteOpenMode.ReadWrite))
        {
            using var snapshot = from.BeginTransaction(deferred: true);
            using (var start = from.CreateCommand())
            {
                // A deferred transaction reads nothing until its first statement: this one fixes the snapshot.
                start.Transaction = snapshot;
                start.CommandText = "SELECT count(*) FROM sqlite_schema";
                start.ExecuteScalar();
            }

            using var backup = raw.sqlite3_backup_init(to.Handle, "main", from.Handle, "main");
            if (backup.IsInvalid)
            {
                SqliteException.ThrowExceptionForRC(raw.sqlite3_errcode(to.Handle), to.Handle);
            }

            using var pageSize = from.CreateCommand();
            pageSize.Transaction = snapshot;
            pageSize.CommandText = "PRAGMA page_size";
            var bytesPerPage = Convert.ToInt32(pageSize.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rc = raw.sqlite3_backup_step(backup, PagesPerStep);
                var total = raw.sqlite3_backup_pagecount(backup);
                progress?.Report(new SqliteCopyProgress(total - raw.sqlite3_backup_remaining(backup), total, bytesPerPage));
                if (rc == raw.SQLITE_DONE)
                {
                    break;
                }

                if (rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED)
                {
                    // Only the destination can be busy (a process opened the new file); the source is read from its snapshot.
                    Thread.Sleep(50);
                    continue;
                }

                SqliteException.ThrowExceptionForRC(rc, to.Handle);
            }

            snapshot.Rollback();
        }

        // The copied header says WAL, like its source; a fresh connection sees that and switches the file back to one piece.
        using var copy = Open(destination, SqliteOpenMode.ReadWrite);
        using var journal = copy.CreateCommand();
        journal.CommandText = "PRAGMA journal_mode = DELETE";
        journal.ExecuteNonQuery();
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void CreatePrivate(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (new FileStream(path, options))
        {
        }
    }

    private static void DeleteQuietly(string path)
    {
        foreach (var file in (string[])[path, path + "-journal", path + "-wal", path + "-shm"])
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Left for the operator; the message of the failure that got us here matters more.
            }
        }
    }
}
