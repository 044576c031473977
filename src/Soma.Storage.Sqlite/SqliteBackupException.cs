namespace Soma.Storage.Sqlite;

/// <summary>A backup or restore was refused or failed; <see cref="Problem"/> says why. Trying again does not help until the cause is fixed.</summary>
public sealed class SqliteBackupException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SqliteBackupException(SqliteBackupProblem problem, string message, Exception? innerException = null)
        : base(message, innerException) => Problem = problem;

    /// <summary>Creates the exception.</summary>
    public SqliteBackupException()
        : this(SqliteBackupProblem.Damaged, "The backup or restore failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public SqliteBackupException(string message)
        : this(SqliteBackupProblem.Damaged, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SqliteBackupException(string message, Exception innerException)
        : this(SqliteBackupProblem.Damaged, message, innerException)
    {
    }

    /// <summary>Why it was refused.</summary>
    public SqliteBackupProblem Problem { get; }
}
