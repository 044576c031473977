using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Soma.Tools.Workspaces;

/// <summary>
/// The few Linux calls .NET does not expose that make opening a file inside a folder impossible to race: <c>openat2</c>
/// with <c>RESOLVE_BENEATH</c> (the kernel refuses any step of the resolution, symlinks and <c>..</c> included, that
/// leaves the folder), <c>openat</c> with <c>O_NOFOLLOW</c> for kernels without it, <c>mkdirat</c> and <c>statx</c>.
/// Flag values differ between architectures; only x64 and arm64 are supported.
/// </summary>
internal static partial class LinuxFiles
{
    public const int ENOENT = 2;
    public const int ENXIO = 6;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int EXDEV = 18;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ENAMETOOLONG = 36;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CREAT = 0x40;
    public const int O_NOCTTY = 0x100;
    public const int O_TRUNC = 0x200;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int O_PATH = 0x200000;

    private const ulong ResolveNoMagicLinks = 0x02;
    private const ulong ResolveBeneath = 0x08;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const long SysOpenat2 = 437;
    private const int SIfMt = 0xF000;

    /// <summary>The file type bits of <c>st_mode</c>.</summary>
    public const int SIfDir = 0x4000;

    /// <summary>A regular file.</summary>
    public const int SIfReg = 0x8000;

    /// <summary>A symbolic link.</summary>
    public const int SIfLnk = 0xA000;

    // 0: not probed yet, 1: openat2 works, 2: the kernel (or a seccomp filter) lacks it.
    private static int _openat2;

    /// <summary>Whether this platform has these calls.</summary>
    public static bool Supported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Tests pin the fallback (<c>openat</c> with <c>O_NOFOLLOW</c> per component) to run the corpus on it too.</summary>
    internal static bool ForceComponentWalk { get; set; }

    public static int O_DIRECTORY => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;

    public static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    /// <summary>Opens a folder by its absolute host path (the workspace root, which SomaAgent created).</summary>
    public static SafeFileHandle OpenDirectory(string path, out int errno)
    {
        var fd = Open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Opens <paramref name="components"/> below <paramref name="root"/>, refusing every resolution that leaves it:
    /// <c>openat2(RESOLVE_BENEATH)</c> (symlinks that stay inside are followed), or, without it, one <c>openat</c>
    /// per component with <c>O_NOFOLLOW</c> (no symlink is followed at all). Returns the handle (invalid on failure)
    /// and the errno: <c>EXDEV</c> or <c>ELOOP</c> when the path leads outside.
    /// </summary>
    public static SafeFileHandle OpenBeneath(SafeFileHandle root, IReadOnlyList<string> components, int flags, int mode, out int errno)
    {
        if (!ForceComponentWalk && Volatile.Read(ref _openat2) != 2)
        {
            var how = new OpenHow { Flags = (ulong)(uint)(flags | O_CLOEXEC), Mode = (ulong)mode, Resolve = ResolveBeneath | ResolveNoMagicLinks };
            var path = components.Count == 0 ? "." : string.Join('/', components);
            var fd = (int)Syscall(SysOpenat2, (int)root.DangerousGetHandle(), path, ref how, (nuint)Marshal.SizeOf<OpenHow>());
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno != ENOSYS)
            {
                Volatile.Write(ref _openat2, 1);
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            Volatile.Write(ref _openat2, 2);
        }

        return WalkNoFollow(root, components, flags, mode, out errno);
    }

    /// <summary>Creates the folder <paramref name="name"/> (one component) in the folder <paramref name="parent"/>, mode 0700.</summary>
    public static int MakeDirectory(SafeFileHandle parent, string name)
    {
        var result = Mkdirat((int)parent.DangerousGetHandle(), name, Convert.ToUInt32("700", 8));
        return result == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The type bits and size of an open file.</summary>
    public static (int Type, long Size) Stat(SafeFileHandle handle)
    {
        if (Statx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, StatxType | StatxSize, out var buffer) != 0)
        {
            throw new IOException($"statx failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        return (buffer.Mode & SIfMt, (long)buffer.Size);
    }

    /// <summary>The type bits of <paramref name="name"/> in the folder <paramref name="parent"/>, not following a symlink; -1 when it is gone.</summary>
    public static int StatEntry(SafeFileHandle parent, string name, out long size)
    {
        if (Statx((int)parent.DangerousGetHandle(), name, 0x100 /* AT_SYMLINK_NOFOLLOW */, StatxType | StatxSize, out var buffer) != 0)
        {
            size = 0;
            return -1;
        }

        size = (long)buffer.Size;
        return buffer.Mode & SIfMt;
    }

    /// <summary>Where an open file really is: the kernel's name for it (<c>/proc/self/fd/N</c>), so nothing a path says can lie.</summary>
    public static string? RealPath(SafeFileHandle handle) =>
        new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;

    private static SafeFileHandle WalkNoFollow(SafeFileHandle root, IReadOnlyList<string> components, int flags, int mode, out int errno)
    {
        var directory = root;
        var owned = false;
        try
        {
            for (var i = 0; i < components.Count - 1; i++)
            {
                var fd = Openat((int)directory.DangerousGetHandle(), components[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                if (fd < 0)
                {
                    errno = SymlinkAware(directory, components[i], Marshal.GetLastPInvokeError());
                    return new SafeFileHandle(-1, ownsHandle: true);
                }

                if (owned)
                {
                    directory.Dispose();
                }

                directory = new SafeFileHandle(fd, ownsHandle: true);
                owned = true;
            }

            var last = components.Count == 0 ? "." : components[^1];
            var final = Openat((int)directory.DangerousGetHandle(), last, flags | O_NOFOLLOW | O_CLOEXEC, mode);
            errno = final < 0 ? SymlinkAware(directory, last, Marshal.GetLastPInvokeError()) : 0;
            return new SafeFileHandle(final, ownsHandle: true);
        }
        finally
        {
            if (owned)
            {
                directory.Dispose();
            }
        }
    }

    // O_NOFOLLOW with O_DIRECTORY reports a symlink as "not a directory"; say what it is, a symlink not followed.
    private static int SymlinkAware(SafeFileHandle directory, string name, int errno) =>
        errno is ENOTDIR or ELOOP && StatEntry(directory, name, out _) == SIfLnk ? ELOOP : errno;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    // struct statx has the same layout on every architecture: stx_mode at 28, stx_size at 40.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(40)]
        public ulong Size;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long Syscall(long number, int dirfd, string path, ref OpenHow how, nuint size);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Openat(int dirfd, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mkdirat(int dirfd, string path, uint mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);
}
