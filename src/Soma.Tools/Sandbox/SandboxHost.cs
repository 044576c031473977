using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Soma.Tools.Sandbox;

/// <summary>
/// What the sandbox profiles share on this machine: the seccomp program (written once to a private file), the
/// launcher, the pids cgroup, the kernel's Landlock ABI and whether the server runs as root.
/// </summary>
public sealed partial class SandboxHost : IDisposable
{
    private readonly string? _seccompDirectory;

    /// <summary>Looks at this machine once.</summary>
    public SandboxHost(IOptions<SandboxOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        Launcher = string.IsNullOrEmpty(o.Launcher) ? Path.Combine(AppContext.BaseDirectory, "soma-sandbox-exec") : o.Launcher;
        RunsAsRoot = Environment.UserName == "root" || GetEuid() == 0;
        LandlockAbi = OperatingSystem.IsLinux() ? Math.Max(0, LandlockVersion()) : 0;
        Cgroup = PidsCgroup.Detect();
        if (!OperatingSystem.IsLinux() || !SeccompFilter.Supported)
        {
            Problem = $"sandboxes run on Linux x86-64 only (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})";
        }
        else if (!File.Exists(Launcher))
        {
            Problem = $"the launcher {Launcher} is missing (it is built with the server when a C compiler is present: apt-get install gcc libc6-dev)";
        }
        else if (!File.Exists("/usr/bin/setpriv"))
        {
            Problem = "/usr/bin/setpriv is not installed (Debian: util-linux)";
        }
        else if (o.RequireLandlock && LandlockAbi == 0)
        {
            Problem = "Soma:Sandbox:RequireLandlock is set and this kernel has no Landlock";
        }

        RemoveStaleFilters();
        _seccompDirectory = Directory.CreateTempSubdirectory($"soma-seccomp-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-").FullName;
        SeccompFile = Path.Combine(_seccompDirectory, "filter.bpf");
        File.WriteAllBytes(SeccompFile, SeccompFilter.Build());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(SeccompFile, UnixFileMode.UserRead);
        }
    }

    /// <summary>The launcher binary on the host.</summary>
    public string Launcher { get; }

    /// <summary>The compiled seccomp program.</summary>
    public string SeccompFile { get; }

    /// <summary>The server runs as root (RLIMIT_NPROC does not bind; the pids cgroup must).</summary>
    public bool RunsAsRoot { get; }

    /// <summary>The kernel's Landlock ABI version, 0 without Landlock.</summary>
    public int LandlockAbi { get; }

    /// <summary>Per-call pids cgroups, where writable.</summary>
    internal PidsCgroup Cgroup { get; }

    /// <summary>Why no sandbox can run here, or null.</summary>
    public string? Problem { get; }

    /// <summary>What the sandboxes enforce here.</summary>
    public IReadOnlyList<string> Features =>
    [
        "namespaces", "seccomp", "rlimits",
        .. LandlockAbi > 0 ? new[] { "landlock-abi-" + LandlockAbi.ToString(CultureInfo.InvariantCulture) } : [],
        .. Cgroup.Root is not null ? new[] { "pids-cgroup" } : [],
    ];

    /// <summary>Tasks (threads) this process's user runs now, for an RLIMIT_NPROC that leaves room for them.</summary>
    internal static int TasksOfThisUser()
    {
        try
        {
            return Directory.EnumerateDirectories("/proc/self/task").Count() + 64;
        }
        catch (IOException)
        {
            return 256;
        }
    }

    /// <summary>The server process a per-process folder (<c>{prefix}{pid}-…</c>) belongs to, or null for another name.</summary>
    internal static int? Owner(string folder, string prefix)
    {
        var name = Path.GetFileName(folder.AsSpan());
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = name[prefix.Length..];
        var dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    /// <summary>Whether process <paramref name="pid"/> has exited.</summary>
    internal static bool IsGone(int pid) => !Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    // The filter folders of servers that were killed (kill -9 leaves no chance to dispose): those of processes that are gone.
    private static void RemoveStaleFilters()
    {
        try
        {
            foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), "soma-seccomp-*"))
            {
                if (Owner(folder, "soma-seccomp-") is { } owner && IsGone(owner))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: another server may be removing the same folder.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (_seccompDirectory is not null)
            {
                Directory.Delete(_seccompDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int LandlockVersion()
    {
        try
        {
            return (int)Syscall(444, 0, 0, 1);
        }
        catch (EntryPointNotFoundException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number, long a, long b, long c);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
