namespace Soma.Storage.Sqlite;

/// <summary>What <see cref="SqliteBackup.RestoreAsync"/> did.</summary>
/// <param name="Database">The database file, now the backup's contents.</param>
/// <param name="PreRestore">Where the replaced database was kept (<c>{database}.pre-restore</c>), or null when there was none.</param>
/// <param name="Backup">The backup that was restored.</param>
public sealed record SqliteRestoreResult(string Database, string? PreRestore, SqliteDatabaseInfo Backup);
