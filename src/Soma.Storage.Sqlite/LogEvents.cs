namespace Soma.Storage.Sqlite;

/// <summary>
/// The one registry of this project's log event ids: every <c>[LoggerMessage]</c> of Soma.Storage.Sqlite takes its id from here, each id
/// names one kind of log line, and ids stay stable across releases (operators filter and alert on them). A test checks
/// that they are unique and that no <c>[LoggerMessage]</c> uses an id from elsewhere.
/// </summary>
internal static class LogEvents
{
    /// <summary>Logged by <c>SqliteStore</c>.</summary>
    public const int SqliteStoreMigrationApplied = 1001;

    /// <summary>Logged by <c>SqliteStore</c>'s background checkpoint.</summary>
    public const int SqliteStoreCheckpointFailed = 1002;

    /// <summary>Logged by <c>SqliteStore</c> when the writer was left in a transaction nothing owned, and it rolled it back.</summary>
    public const int SqliteStoreStrayTransactionRolledBack = 1003;

    /// <summary>Logged by <c>SqliteStore</c> when rolling back such a transaction failed.</summary>
    public const int SqliteStoreStrayTransactionNotRolledBack = 1004;
}
