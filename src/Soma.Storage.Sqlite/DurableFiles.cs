using System.Runtime.InteropServices;

namespace Soma.Storage.Sqlite;

/// <summary>
/// What makes a file written beside its final name and renamed over it survive a power loss: its contents flushed before
/// the rename, and the directory (which holds the name) flushed after it. .NET opens no directory, hence <c>open(2)</c>.
/// </summary>
internal static partial class DurableFiles
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on Linux

    /// <summary>Flushes <paramref name="path"/>'s contents to the disk.</summary>
    public static void Flush(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/> (replacing it) and flushes the directory.</summary>
    public static void Rename(string from, string to)
    {
        File.Move(from, to, overwrite: true);
        FlushDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(to))!);
    }

    /// <summary>Flushes a directory, so the renames in it are on the disk (a no-op where it cannot be opened).</summary>
    public static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, ReadOnly | Directory);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
