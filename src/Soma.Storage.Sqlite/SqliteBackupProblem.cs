namespace Soma.Storage.Sqlite;

/// <summary>Why <see cref="SqliteBackup"/> refused or could not finish.</summary>
public enum SqliteBackupProblem
{
    /// <summary>The database or backup file does not exist.</summary>
    NotFound,

    /// <summary>The file is not a SQLite database.</summary>
    NotSqlite,

    /// <summary>A SQLite database, but not a SomaAgent one (no <c>schema_migrations</c>).</summary>
    NotSoma,

    /// <summary>A SomaAgent database with migrations this version does not know: taken by a newer version.</summary>
    NewerSchema,

    /// <summary>The file fails SQLite's integrity check.</summary>
    Damaged,

    /// <summary>A process uses the database (a server runs on it, or another restore).</summary>
    InUse,

    /// <summary>A file the operation would create is already there (the backup's destination, an earlier <c>.pre-restore</c>).</summary>
    InTheWay,
}
