namespace Soma.Storage.Sqlite;

/// <summary>A SomaAgent SQLite database file, as a backup or restore found it.</summary>
/// <param name="Path">The file.</param>
/// <param name="Applied">The migrations it records, in order.</param>
/// <param name="Known">The migrations this version applies, in order.</param>
/// <param name="Bytes">Its size.</param>
public sealed record SqliteDatabaseInfo(string Path, IReadOnlyList<string> Applied, IReadOnlyList<string> Known, long Bytes)
{
    /// <summary>Its migration level: the last migration it records.</summary>
    public string Level => Applied.Count == 0 ? "(none)" : Applied[^1];

    /// <summary>Migrations of this version it lacks (<c>soma migrate</c> or the server's start applies them).</summary>
    public IReadOnlyList<string> Pending => [.. Known.Except(Applied, StringComparer.Ordinal)];
}
