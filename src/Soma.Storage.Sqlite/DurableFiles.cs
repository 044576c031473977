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

    /// <summary>Opens <paramref name="path"/> for reading, as <c>open(2)</c>: a descriptor, or -1 (errno last error).</summary>
    public static int OpenReadOnly(string path) => Open(path, ReadOnly);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    /// <summary>Flushes a file's data (and the size needed to read it back) to the disk, as <c>fdatasync(2)</c>: 0, or -1.</summary>
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int DataSync(int fd);

    /// <summary>Writes back every dirty page of the file system that holds the file open at <paramref name="fd"/>, as <c>syncfs(2)</c> (Linux): 0, or -1.</summary>
    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    public static partial int SyncFileSystem(int fd);

    /// <summary>Closes a descriptor, as <c>close(2)</c>.</summary>
    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);
}
