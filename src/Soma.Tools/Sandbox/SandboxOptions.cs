namespace Soma.Tools.Sandbox;

/// <summary>
/// <c>Soma:Sandbox</c>: where the sandbox programs are and the limits of a call. Closed by default: no network, a
/// read-only view of the system's programs and libraries, the session's workspace and a private <c>/tmp</c>, nothing else.
/// </summary>
public sealed class SandboxOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Sandbox";

    /// <summary>The profile process tools use unless a tool names another: <c>bubblewrap</c> or <c>gvisor</c>.</summary>
    public string DefaultProfile { get; set; } = "bubblewrap";

    /// <summary>The profile of each tool that differs from <see cref="DefaultProfile"/>, e.g. <c>code.python: gvisor</c>.</summary>
    public IDictionary<string, string> Tools { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The bubblewrap program.</summary>
    public string Bubblewrap { get; set; } = "/usr/bin/bwrap";

    /// <summary>The gVisor program.</summary>
    public string Runsc { get; set; } = "/usr/bin/runsc";

    /// <summary>The launcher that applies Landlock and rlimits inside the sandbox; empty: <c>soma-sandbox-exec</c> beside the server.</summary>
    public string Launcher { get; set; } = string.Empty;

    /// <summary>Whether Landlock is required (a kernel without it refuses every sandboxed call) or used when present.</summary>
    public bool RequireLandlock { get; set; }

    /// <summary>Files of the host's <c>/etc</c> a sandboxed program sees (read-only); nothing else of <c>/etc</c>.</summary>
    public IList<string> EtcFiles { get; } = ["/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types", "/etc/ssl/certs", "/etc/ca-certificates"];

    /// <summary>Wall-clock limit of a call, in seconds (a tool may ask for less).</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Bytes of output kept; past it the call is stopped and its output marked truncated.</summary>
    public long MaxOutputBytes { get; set; } = 1 << 20;

    /// <summary>CPU seconds of a call's processes (RLIMIT_CPU).</summary>
    public int CpuSeconds { get; set; } = 30;

    /// <summary>Address space of a process, MiB (RLIMIT_AS).</summary>
    public int MemoryMegabytes { get; set; } = 1024;

    /// <summary>Largest file a call may write, MiB (RLIMIT_FSIZE).</summary>
    public int FileSizeMegabytes { get; set; } = 64;

    /// <summary>Processes a call may run at once (a pids cgroup where one is writable; RLIMIT_NPROC otherwise).</summary>
    public int Processes { get; set; } = 64;

    /// <summary>
    /// bubblewrap launchers kept parked in a pids cgroup of their own for the next calls (0: none), so a call does not
    /// wait for the kernel to move its first process into a cgroup. Used only where a pids cgroup is writable.
    /// </summary>
    public int ParkedLaunchers { get; set; } = 2;

    /// <summary>Open files of a process (RLIMIT_NOFILE).</summary>
    public int OpenFiles { get; set; } = 256;

    /// <summary>Size of the per-call <c>/tmp</c>, MiB.</summary>
    public int TmpMegabytes { get; set; } = 64;

    /// <summary>The limits of a call from these options.</summary>
    public Soma.Core.Sandbox.SandboxLimits Limits() => new(TimeSpan.FromSeconds(TimeoutSeconds), MaxOutputBytes)
    {
        CpuSeconds = CpuSeconds,
        AddressSpaceBytes = (long)MemoryMegabytes << 20,
        FileSizeBytes = (long)FileSizeMegabytes << 20,
        Processes = Processes,
        OpenFiles = OpenFiles,
        TmpBytes = (long)TmpMegabytes << 20,
    };
}
