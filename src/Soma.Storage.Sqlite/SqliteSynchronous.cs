namespace Soma.Storage.Sqlite;

/// <summary>The SQLite <c>synchronous</c> mode of the store's writer connection.</summary>
public enum SqliteSynchronous
{
    /// <summary>Every commit is fsynced before it returns: a committed write survives power loss. The default.</summary>
    Full,

    /// <summary>
    /// In WAL mode, commits are fsynced at checkpoints only: a committed write survives a process crash but the last
    /// transactions may roll back on power loss or an OS crash.
    /// </summary>
    Normal,
}
