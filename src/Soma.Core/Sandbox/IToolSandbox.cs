namespace Soma.Core.Sandbox;

/// <summary>
/// Runs a command for a tool, isolated from the host: <c>bubblewrap</c> (namespaces, seccomp, Landlock, rlimits),
/// <c>gvisor</c> (a user-space kernel) or none. A call over its time limit has its whole process tree killed and
/// keeps its output so far, marked truncated; output past its cap is cut and marked; nothing outlives the call or the
/// server. A sandbox that cannot run here says why (<see cref="Availability"/>) and refuses every call.
/// </summary>
public interface IToolSandbox
{
    /// <summary>The profile's name: <c>bubblewrap</c>, <c>gvisor</c> or <c>none</c>.</summary>
    string Name { get; }

    /// <summary>Whether the sandbox can run on this machine, and what is missing when it cannot.</summary>
    SandboxAvailability Availability { get; }

    /// <summary>
    /// Runs <paramref name="command"/>; <paramref name="onOutput"/> receives stdout and stderr as they come. Never
    /// throws for the command's own failure (a non-zero exit, a signal, a timeout): that is in the result.
    /// </summary>
    Task<SandboxResult> RunAsync(SandboxCommand command, Func<SandboxOutput, ValueTask>? onOutput, CancellationToken cancellationToken);

    /// <summary>
    /// The program line that starts <paramref name="command"/> in this sandbox, for a caller that runs a long-lived
    /// process itself (an MCP server over stdio): run <see cref="SandboxLaunch.FileName"/> with its arguments and
    /// environment. The sandbox dies with the process that started it; <see cref="SandboxLimits.Timeout"/> is not applied.
    /// </summary>
    SandboxLaunch Prepare(SandboxCommand command);
}

/// <summary>A program line that starts a sandboxed command.</summary>
/// <param name="FileName">The program to execute on the host.</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="Environment">The environment to start it with (the sandbox passes on only what the command asked for).</param>
public sealed record SandboxLaunch(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment);

/// <summary>Whether a sandbox can run here.</summary>
/// <param name="Available">It can.</param>
/// <param name="Problem">What is missing when it cannot (a binary, a kernel feature).</param>
/// <param name="Features">What it enforces here (e.g. <c>seccomp</c>, <c>landlock-abi-7</c>, <c>rlimits</c>).</param>
public sealed record SandboxAvailability(bool Available, string? Problem, IReadOnlyList<string> Features)
{
    /// <summary>An unavailable sandbox.</summary>
    public static SandboxAvailability Missing(string problem) => new(false, problem, []);
}

/// <summary>A command to run in a sandbox.</summary>
/// <param name="Arguments">The program (an absolute path inside the sandbox, or a name found on <c>/usr/bin:/bin</c>) and its arguments.</param>
/// <param name="Workspace">The host folder bound read-write at <c>/workspace</c> and used as the working directory.</param>
/// <param name="Limits">Time, output and resource limits.</param>
public sealed record SandboxCommand(IReadOnlyList<string> Arguments, string Workspace, SandboxLimits Limits)
{
    /// <summary>Environment variables for the command (nothing of the host's environment is passed).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Text written to the command's standard input, then closed; null gives it an empty input.</summary>
    public string? StandardInput { get; init; }

    /// <summary>
    /// The network the command may reach: none, unless the policy granted an egress allow-list; then (bubblewrap only)
    /// the command reaches a filtering proxy of the server's at <c>http://127.0.0.1:3128</c> and nothing else.
    /// </summary>
    public SandboxNetwork Network { get; init; } = SandboxNetwork.None;
}

/// <summary>What a sandboxed command may reach over the network.</summary>
/// <param name="AllowedHosts">Host names (optionally <c>host:port</c> or <c>*.domain</c>) reachable through the egress proxy; empty: no network at all.</param>
public sealed record SandboxNetwork(IReadOnlyList<string> AllowedHosts)
{
    /// <summary>Whether private, loopback, link-local and unique-local addresses may be reached through the proxy.</summary>
    public bool AllowPrivate { get; init; }

    /// <summary>The tenant the call is for, named in the proxy's log events; null when unknown.</summary>
    public string? Tenant { get; init; }

    /// <summary>The session the call is for, named in the proxy's log events; empty when unknown.</summary>
    public Guid Session { get; init; }

    /// <summary>No network.</summary>
    public static SandboxNetwork None { get; } = new([]);

    /// <summary>Whether any egress is granted.</summary>
    public bool Granted => AllowedHosts.Count > 0;
}

/// <summary>Limits of one sandboxed call.</summary>
/// <param name="Timeout">Wall-clock limit: past it, the process tree gets SIGTERM, then SIGKILL after <see cref="KillGrace"/>.</param>
/// <param name="MaxOutputBytes">Bytes of stdout + stderr kept; the rest is dropped and the output marked truncated.</param>
public sealed record SandboxLimits(TimeSpan Timeout, long MaxOutputBytes)
{
    /// <summary>Limits for a short command: 30 s, 1 MiB of output.</summary>
    public static SandboxLimits Default { get; } = new(TimeSpan.FromSeconds(30), 1 << 20);

    /// <summary>How long a timed-out command has between SIGTERM and SIGKILL.</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>CPU seconds (RLIMIT_CPU).</summary>
    public int CpuSeconds { get; init; } = 30;

    /// <summary>Address space per process, bytes (RLIMIT_AS).</summary>
    public long AddressSpaceBytes { get; init; } = 1L << 30;

    /// <summary>Largest file a process may write, bytes (RLIMIT_FSIZE).</summary>
    public long FileSizeBytes { get; init; } = 64L << 20;

    /// <summary>Open files per process (RLIMIT_NOFILE).</summary>
    public int OpenFiles { get; init; } = 256;

    /// <summary>Processes (RLIMIT_NPROC, counted per user: the sandbox runs as its own user).</summary>
    public int Processes { get; init; } = 64;

    /// <summary>Size of the per-call <c>/tmp</c> (a tmpfs), bytes.</summary>
    public long TmpBytes { get; init; } = 64L << 20;
}

/// <summary>A piece of a sandboxed command's output.</summary>
/// <param name="Stream">Which stream it came from.</param>
/// <param name="Text">The text (UTF-8 decoded; a split character waits for its rest).</param>
public readonly record struct SandboxOutput(SandboxStream Stream, string Text);

/// <summary>Standard output or standard error.</summary>
public enum SandboxStream
{
    /// <summary>Standard output.</summary>
    Stdout,

    /// <summary>Standard error.</summary>
    Stderr,
}

/// <summary>How a sandboxed command ended.</summary>
/// <param name="ExitCode">The exit code, or null when it was killed by a signal or never started.</param>
/// <param name="Stdout">Standard output kept (within the cap).</param>
/// <param name="Stderr">Standard error kept (within the cap).</param>
/// <param name="Duration">Start to exit.</param>
public sealed record SandboxResult(int? ExitCode, string Stdout, string Stderr, TimeSpan Duration)
{
    /// <summary>The command ran past its time limit and was killed.</summary>
    public bool TimedOut { get; init; }

    /// <summary>Output past <see cref="SandboxLimits.MaxOutputBytes"/> was dropped.</summary>
    public bool OutputTruncated { get; init; }

    /// <summary>Bytes the command wrote in all (kept or not).</summary>
    public long OutputBytes { get; init; }

    /// <summary>The signal that ended it (e.g. <c>SIGKILL</c>, <c>SIGSYS</c>), if any.</summary>
    public string? Signal { get; init; }

    /// <summary>Requests the egress proxy refused during the call, each as <c>host:port (reason)</c>, in order.</summary>
    public IReadOnlyList<string> EgressRefusals { get; init; } = [];

    /// <summary>Why the command could not run at all (the sandbox is unavailable, the program is missing), or null.</summary>
    public string? Error { get; init; }

    /// <summary>Whether it exited with 0.</summary>
    public bool Succeeded => ExitCode == 0 && Error is null && !TimedOut;
}
