using Microsoft.Win32.SafeHandles;

namespace Soma.Tools.Workspaces;

/// <summary>
/// One session's workspace, open: every file is opened relative to the folder's handle, never by a host path, so a
/// path cannot be raced out of it (a folder swapped for a symlink between a check and the open is refused by the
/// kernel during the open). Each opened file is then checked once more by its real path (<c>/proc/self/fd/N</c>).
/// </summary>
internal sealed class WorkspaceFolder : IDisposable
{
    private readonly SafeFileHandle _root;
    private readonly string _realRoot;

    private WorkspaceFolder(SafeFileHandle root, string realRoot)
    {
        _root = root;
        _realRoot = realRoot;
    }

    /// <summary>Opens the workspace at <paramref name="path"/> (which <see cref="ToolWorkspaces.PathFor"/> created).</summary>
    public static WorkspaceFolder Open(string path)
    {
        if (!LinuxFiles.Supported)
        {
            throw new PlatformNotSupportedException("The files tools need Linux on x64 or arm64.");
        }

        var root = LinuxFiles.OpenDirectory(path, out var errno);
        if (root.IsInvalid)
        {
            throw new IOException($"The workspace folder cannot be opened (errno {errno}).");
        }

        return new WorkspaceFolder(root, LinuxFiles.RealPath(root) ?? path);
    }

    /// <summary>Opens a regular file for reading.</summary>
    public Opened OpenRead(WorkspacePath path) =>
        Check(path, LinuxFiles.OpenBeneath(_root, path.Components, LinuxFiles.O_RDONLY | LinuxFiles.O_NONBLOCK | LinuxFiles.O_NOCTTY, 0, out var errno), errno, LinuxFiles.SIfReg);

    /// <summary>Opens a folder for listing.</summary>
    public Opened OpenDirectory(WorkspacePath path) =>
        Check(path, LinuxFiles.OpenBeneath(_root, path.Components, LinuxFiles.O_RDONLY | LinuxFiles.O_DIRECTORY, 0, out var errno), errno, LinuxFiles.SIfDir);

    /// <summary>Opens a folder entry found by listing <paramref name="parent"/>, never following a symlink.</summary>
    public Opened OpenChildDirectory(SafeFileHandle parent, WorkspacePath path, string name) =>
        Check(path, LinuxFiles.OpenBeneath(parent, [name], LinuxFiles.O_RDONLY | LinuxFiles.O_DIRECTORY | LinuxFiles.O_NOFOLLOW, 0, out var errno), errno, LinuxFiles.SIfDir);

    /// <summary>
    /// Opens a regular file for writing (created 0600 when missing, emptied unless <paramref name="append"/>), creating
    /// missing folders on the way when <paramref name="createFolders"/>.
    /// </summary>
    public Opened OpenWrite(WorkspacePath path, bool append, bool createFolders)
    {
        if (path.IsRoot)
        {
            return Opened.Fail(FileOutcome.NotAFile, "it is the workspace folder itself");
        }

        if (createFolders)
        {
            for (var depth = 1; depth < path.Components.Count; depth++)
            {
                if (MakeFolder(path, depth) is { } failed)
                {
                    return failed;
                }
            }
        }

        // No O_TRUNC: the file is emptied only after it is known to be a regular file inside the workspace.
        var flags = LinuxFiles.O_WRONLY | LinuxFiles.O_CREAT | LinuxFiles.O_NONBLOCK | LinuxFiles.O_NOCTTY;
        var opened = Check(path, LinuxFiles.OpenBeneath(_root, path.Components, flags, Convert.ToInt32("600", 8), out var errno), errno, LinuxFiles.SIfReg);
        if (opened.Handle is { } handle && !append)
        {
            RandomAccess.SetLength(handle, 0);
        }

        return opened;
    }

    /// <summary>A real path inside the workspace, relative to it, as the model would write it.</summary>
    public string Relative(string realPath) =>
        realPath.Length > _realRoot.Length ? realPath[(_realRoot.Length + 1)..] : ".";

    public void Dispose() => _root.Dispose();

    private Opened? MakeFolder(WorkspacePath path, int depth)
    {
        var prefix = path.Components.Take(depth).ToArray();
        using var existing = LinuxFiles.OpenBeneath(_root, prefix, LinuxFiles.O_PATH | LinuxFiles.O_DIRECTORY, 0, out var errno);
        if (!existing.IsInvalid)
        {
            return null;
        }

        if (errno != LinuxFiles.ENOENT)
        {
            return Refusal(path, errno);
        }

        using var parent = LinuxFiles.OpenBeneath(_root, prefix[..^1], LinuxFiles.O_PATH | LinuxFiles.O_DIRECTORY, 0, out errno);
        if (parent.IsInvalid)
        {
            return Refusal(path, errno);
        }

        // mkdirat with one name below a handle we hold: it cannot land anywhere else, and never follows a symlink.
        errno = LinuxFiles.MakeDirectory(parent, prefix[^1]);
        return errno is 0 or LinuxFiles.EEXIST ? null : Refusal(path, errno);
    }

    private Opened Check(WorkspacePath path, SafeFileHandle handle, int errno, int expectedType)
    {
        if (handle.IsInvalid)
        {
            handle.Dispose();
            return Refusal(path, errno);
        }

        var real = LinuxFiles.RealPath(handle);
        if (real is null || !(real == _realRoot || real.StartsWith(_realRoot + "/", StringComparison.Ordinal)))
        {
            // The kernel already refuses this; a second, independent check costs one readlink.
            handle.Dispose();
            return Opened.Fail(FileOutcome.Outside, "it leads outside the workspace");
        }

        var (type, size) = LinuxFiles.Stat(handle);
        if (type != expectedType)
        {
            handle.Dispose();
            return Opened.Fail(expectedType == LinuxFiles.SIfDir ? FileOutcome.NotAFolder : FileOutcome.NotAFile,
                expectedType == LinuxFiles.SIfDir ? "it is not a folder" : "it is not a regular file");
        }

        return new Opened(FileOutcome.Opened, handle, null, size, Relative(real));
    }

    private static Opened Refusal(WorkspacePath path, int errno) => errno switch
    {
        LinuxFiles.EXDEV => Opened.Fail(FileOutcome.Outside, "a symbolic link in it leads outside the workspace"),
        LinuxFiles.ELOOP => Opened.Fail(FileOutcome.Outside, "it goes through a symbolic link that is not followed (one that leads outside, or any on kernels without openat2)"),
        LinuxFiles.ENOENT => Opened.Fail(FileOutcome.Missing, "it does not exist"),
        LinuxFiles.ENOTDIR => Opened.Fail(FileOutcome.NotAFolder, "it, or a folder on its way, is not a folder"),
        LinuxFiles.EISDIR => Opened.Fail(FileOutcome.NotAFile, "it is a folder"),
        LinuxFiles.ENXIO => Opened.Fail(FileOutcome.NotAFile, "it is not a regular file"),
        LinuxFiles.ENAMETOOLONG => Opened.Fail(FileOutcome.Invalid, "it is too long"),
        LinuxFiles.EACCES => Opened.Fail(FileOutcome.Denied, "permission denied"),
        _ => Opened.Fail(FileOutcome.Failed, $"the system refused it (errno {errno}) for {path.Display}"),
    };
}

/// <summary>What opening a workspace path came to.</summary>
internal enum FileOutcome
{
    Opened,
    Outside,
    Missing,
    NotAFile,
    NotAFolder,
    Invalid,
    Denied,
    Failed,
}

/// <summary>An open file or folder (its handle, size and path relative to the workspace), or why not.</summary>
internal sealed record Opened(FileOutcome Outcome, SafeFileHandle? Handle, string? Problem, long Size, string? Path)
{
    public static Opened Fail(FileOutcome outcome, string problem) => new(outcome, null, problem, 0, null);
}
