namespace Soma.Storage.Sqlite;

/// <summary>How far a copy through SQLite's online backup API has come.</summary>
/// <param name="Pages">Pages copied so far.</param>
/// <param name="TotalPages">Pages in the database being copied.</param>
/// <param name="PageSize">Bytes per page.</param>
public readonly record struct SqliteCopyProgress(long Pages, long TotalPages, int PageSize);
