namespace Soma.Storage.Sqlite;

/// <summary>
/// The advisory lock that says a database file is in use: <c>{database}.in-use</c> beside it. Every process whose store
/// writes to the database holds it shared (several servers may share one file); <c>soma restore</c> takes it exclusively,
/// so it cannot replace the file under a running server and no server starts while it restores. .NET takes the lock with
/// <c>flock</c> (<see cref="FileShare.None"/> is exclusive, anything else shared), so a killed process releases it.
/// </summary>
internal sealed class SqliteDatabaseLock : IDisposable
{
    // .NET reports a flock held elsewhere as an IOException whose HResult is the errno, EWOULDBLOCK (11 on Linux).
    private const int WouldBlock = 11;

    private readonly FileStream _file;

    private SqliteDatabaseLock(FileStream file) => _file = file;

    /// <summary>The lock file of <paramref name="database"/>.</summary>
    public static string PathFor(string database) => database + ".in-use";

    /// <summary>Takes the lock shared: a store that writes to <paramref name="database"/>.</summary>
    /// <exception cref="IOException">A restore holds it.</exception>
    public static SqliteDatabaseLock Shared(string database)
    {
        // Read access: a shared flock with write access is refused on some network file systems.
        var file = Open(database, FileAccess.Read, FileShare.ReadWrite);
        return new SqliteDatabaseLock(file);
    }

    /// <summary>Takes the lock exclusively: nobody else writes to <paramref name="database"/> until it is disposed.</summary>
    /// <exception cref="IOException">A process holds it (a server runs on this database, or another restore).</exception>
    public static SqliteDatabaseLock Exclusive(string database) => new(Open(database, FileAccess.ReadWrite, FileShare.None));

    /// <summary>True when no process holds the lock of <paramref name="database"/>.</summary>
    public static bool IsFree(string database)
    {
        try
        {
            using var probe = Exclusive(database);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="ex"/> says another process holds the lock (EWOULDBLOCK), not that the file cannot be opened.</summary>
    public static bool IsHeldElsewhere(IOException ex) => ex.HResult == WouldBlock && ex is not FileNotFoundException and not DirectoryNotFoundException;

    public void Dispose() => _file.Dispose();

    private static FileStream Open(string database, FileAccess access, FileShare share)
    {
        var path = PathFor(database);
        if (access == FileAccess.Read && !File.Exists(path))
        {
            // A read-only open cannot create the file: create it (empty) first.
            using (new FileStream(path, Options(FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)))
            {
            }
        }

        return new FileStream(path, Options(access == FileAccess.Read ? FileMode.Open : FileMode.OpenOrCreate, access, share));
    }

    private static FileStreamOptions Options(FileMode mode, FileAccess access, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (mode != FileMode.Open && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }
}
