using System.Globalization;
using Microsoft.Extensions.Options;
using Soma.Contracts.Identity;
using Soma.Core.Sandbox;
using Soma.Tools.Sandbox.Egress;

namespace Soma.Tools.Sandbox;

/// <summary>
/// The <c>bubblewrap</c> profile: new user, pid, network, ipc, uts and cgroup namespaces; a read-only <c>/usr</c> and a
/// few files of <c>/etc</c>; a private <c>/proc</c>, <c>/dev</c> and size-capped <c>/tmp</c>; the session's workspace
/// read-write at <c>/workspace</c>; nothing else of the host. Inside, the seccomp filter (<see cref="SeccompFilter"/>),
/// then <c>soma-sandbox-exec</c>: rlimits and Landlock (file system, TCP, signals, abstract sockets), then the program.
/// A pids cgroup bounds the call's processes where one is writable. The sandbox dies with the server.
/// A call granted egress gets its own filtering proxy (<see cref="SandboxEgress"/>): its socket is bound in, the
/// launcher relays <c>127.0.0.1:3128</c> to it, Landlock lets the program connect to that port only, and the
/// <c>HTTP(S)_PROXY</c> variables point there; the namespace still has no route anywhere else.
/// </summary>
public sealed class BubblewrapSandbox : IToolSandbox, IDisposable
{
    // Once its parent is known to be the server (ServerBoundLaunch): joins the call's cgroup ($1, when there is one), then
    // bubblewrap and its arguments run with the seccomp program ($2) on fd 9.
    private const string Script = "if [ -n \"$1\" ]; then echo $$ > \"$1\" || exit 125; fi; f=$2; shift 2; exec \"$@\" 9<\"$f\"";
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);
    private readonly SandboxOptions _options;
    private readonly SandboxHost _host;
    private readonly SandboxEgress _egress;
    private readonly Lazy<SandboxAvailability> _availability;
    private readonly ParkedLaunchers _parked;

    /// <summary>Creates the profile from <c>Soma:Sandbox</c>.</summary>
    public BubblewrapSandbox(IOptions<SandboxOptions> options, SandboxHost host, SandboxEgress egress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(host);
        _options = options.Value;
        _host = host;
        _egress = egress;
        _availability = new Lazy<SandboxAvailability>(Probe);
        _parked = new ParkedLaunchers(host, _options.ParkedLaunchers, _options.Processes);
    }

    /// <summary>The launchers parked for the next calls now (processes of no call).</summary>
    internal IReadOnlyCollection<int> ParkedProcessIds => _parked.ProcessIds;

    /// <inheritdoc />
    public string Name => "bubblewrap";

    /// <inheritdoc />
    public SandboxAvailability Availability => _availability.Value;

    /// <inheritdoc />
    public async Task<SandboxResult> RunAsync(SandboxCommand command, Func<SandboxOutput, ValueTask>? onOutput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!Availability.Available)
        {
            return new SandboxResult(null, string.Empty, string.Empty, TimeSpan.Zero) { Error = $"The bubblewrap sandbox cannot run here: {Availability.Problem}" };
        }

        if (command.Arguments.Any(a => a.Contains('\0', StringComparison.Ordinal)) || command.Environment.Any(e => e.Key.Contains('\0', StringComparison.Ordinal) || e.Value.Contains('\0', StringComparison.Ordinal)))
        {
            return new SandboxResult(null, string.Empty, string.Empty, TimeSpan.Zero) { Error = "A sandboxed command's arguments and environment cannot hold a NUL character." };
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var proxy = command.Network.Granted ? _egress.Start(command.Network) : null;
        var launcher = _parked.Enabled ? await _parked.TakeAsync(command.Limits.Processes).ConfigureAwait(false) : null;
        var procs = launcher?.Procs ?? (_parked.Enabled ? null : _host.Cgroup.Create(InstanceName.New(), command.Limits.Processes));
        SandboxResult result;
        try
        {
            result = launcher is not null
                ? await SandboxProcess.RunStartedAsync(launcher.Process, ParkedLaunchers.ProgramLine(Line(command, inCgroup: true, proxy?.SocketPath)), command.StandardInput, command.Limits, onOutput, clock, cancellationToken).ConfigureAwait(false)
                : await SandboxProcess.RunAsync(Launch(command, procs, proxy?.SocketPath), command.StandardInput, command.Limits, onOutput, cancellationToken).ConfigureAwait(false);
            await PidsCgroup.DrainAsync(procs, DrainLimit).ConfigureAwait(false);
        }
        finally
        {
            PidsCgroup.Remove(procs);
            if (proxy is not null)
            {
                await proxy.DisposeAsync().ConfigureAwait(false);
            }
        }

        return proxy is null ? result : result with { EgressRefusals = proxy.Refusals };
    }

    /// <inheritdoc />
    public SandboxLaunch Prepare(SandboxCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Network.Granted)
        {
            throw new ArgumentException("Egress is granted per call (shell.run, code.python); a long-lived sandboxed process gets no network.", nameof(command));
        }

        return Launch(command, null, null);
    }

    /// <inheritdoc />
    public void Dispose() => _parked.Dispose();

    /// <summary>The program line started from the server: parent-death signal, parent check, the call's group, bubblewrap.</summary>
    private SandboxLaunch Launch(SandboxCommand command, string? procs, string? egressSocket)
    {
        var line = Line(command, procs is not null, egressSocket);
        return ServerBoundLaunch.Create(Script, [procs ?? string.Empty, _host.SeccompFile, line.FileName, .. line.Arguments]);
    }

    /// <summary>bubblewrap and its arguments (the seccomp program is on fd 9).</summary>
    private SandboxLaunch Line(SandboxCommand command, bool inCgroup, string? egressSocket)
    {
        if (command.Arguments.Count == 0)
        {
            throw new ArgumentException("A sandboxed command needs a program.", nameof(command));
        }

        var limits = command.Limits;
        var a = new List<string>();
        a.AddRange(["--unshare-all", "--unshare-user", "--unshare-cgroup-try", "--disable-userns", "--die-with-parent", "--new-session", "--hostname", "sandbox", "--uid", "65534", "--gid", "65534"]);
        a.AddRange(["--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/workspace", "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8"]);
        foreach (var (name, value) in command.Environment)
        {
            a.AddRange(["--setenv", name, value]);
        }

        if (egressSocket is not null)
        {
            foreach (var (name, value) in SandboxEgress.Environment)
            {
                a.AddRange(["--setenv", name, value]);
            }
        }

        a.AddRange(["--ro-bind", "/usr", "/usr"]);
        foreach (var top in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64" })
        {
            var info = new FileInfo(top);
            if (info.LinkTarget is { } target)
            {
                a.AddRange(["--symlink", target, top]);
            }
            else if (Directory.Exists(top))
            {
                a.AddRange(["--ro-bind", top, top]);
            }
        }

        var etc = _options.EtcFiles.Where(p => p.StartsWith("/etc/", StringComparison.Ordinal) && Path.Exists(p)).ToList();
        foreach (var path in etc)
        {
            a.AddRange(["--ro-bind", path, path]);
        }

        a.AddRange(["--proc", "/proc", "--dev", "/dev", "--size", limits.TmpBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", "/tmp"]);
        a.AddRange(["--bind", command.Workspace, "/workspace", "--chdir", "/workspace", "--ro-bind", _host.Launcher, "/.soma/exec"]);
        if (egressSocket is not null)
        {
            a.AddRange(["--bind", egressSocket, SandboxEgress.SocketInSandbox]);
        }

        a.AddRange(["--seccomp", "9", "--", "/.soma/exec"]);
        if (egressSocket is not null)
        {
            a.AddRange(["--egress-relay", SandboxEgress.SocketInSandbox, "--connect", SandboxEgress.RelayPort.ToString(CultureInfo.InvariantCulture)]);
        }

        a.AddRange([
            "--rlimit", "cpu=" + limits.CpuSeconds.ToString(CultureInfo.InvariantCulture),
            "--rlimit", "as=" + limits.AddressSpaceBytes.ToString(CultureInfo.InvariantCulture),
            "--rlimit", "fsize=" + limits.FileSizeBytes.ToString(CultureInfo.InvariantCulture),
            "--rlimit", "nofile=" + limits.OpenFiles.ToString(CultureInfo.InvariantCulture),
            "--rlimit", "core=0",
        ]);
        if (!inCgroup && !_host.RunsAsRoot)
        {
            // Without a cgroup, RLIMIT_NPROC counts every task of this user (the server's threads too).
            a.AddRange(["--rlimit", "nproc=" + (limits.Processes + SandboxHost.TasksOfThisUser()).ToString(CultureInfo.InvariantCulture)]);
        }

        a.AddRange(["--ro", "/usr", "--ro", "/dev", "--ro", "/proc", "--rw", "/workspace", "--rw", "/tmp"]);
        if (etc.Count > 0)
        {
            a.AddRange(["--ro", "/etc"]);
        }

        a.Add(_options.RequireLandlock ? "--landlock=required" : "--landlock=optional");
        a.Add("--");
        a.AddRange(command.Arguments);
        return new SandboxLaunch(_options.Bubblewrap, a, new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" });
    }

    private SandboxAvailability Probe()
    {
        if (_host.Problem is { } problem)
        {
            return SandboxAvailability.Missing(problem);
        }

        if (!File.Exists(_options.Bubblewrap))
        {
            return SandboxAvailability.Missing($"{_options.Bubblewrap} is not installed (Debian: bubblewrap)");
        }

        var workspace = Directory.CreateTempSubdirectory("soma-probe-");
        try
        {
            var probe = SandboxProcess.RunAsync(Launch(new SandboxCommand(["/bin/true"], workspace.FullName, SandboxLimits.Default), null, null), null, SandboxLimits.Default, null, CancellationToken.None)
                .GetAwaiter().GetResult();
            if (!probe.Succeeded)
            {
                return SandboxAvailability.Missing($"bubblewrap could not start a sandbox: {(probe.Error ?? probe.Stderr).Trim()}");
            }
        }
        finally
        {
            workspace.Delete(recursive: true);
        }

        _parked.Refill();
        return new SandboxAvailability(true, null, _host.Features);
    }
}
