using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Contracts.Identity;
using Soma.Core.Sandbox;

namespace Soma.Tools.Sandbox;

/// <summary>
/// The <c>gvisor</c> profile, for untrusted code: the program runs on gVisor's user-space kernel (<c>runsc</c>), with no
/// network, no capabilities, a read-only root holding only <c>/usr</c> and a few files of <c>/etc</c>, a size-capped
/// <c>/tmp</c> and the workspace. Each call gets its own OCI bundle; <c>runsc</c> runs in a pid namespace of its own
/// whose first process dies with the server, so nothing of a call outlives it.
/// </summary>
public sealed class GvisorSandbox : IToolSandbox
{
    /// <summary>Why a call granted egress does not run here.</summary>
    public const string EgressUnsupported =
        "The policy grants this call egress, and egress through the filtering proxy is supported in the bubblewrap profile only; the gvisor profile runs with --network=none. Run the tool in the bubblewrap profile (Soma:Sandbox:Tools) or drop its egress rule.";

    // runsc's own log, in the call's bundle (outside the sandbox's view).
    private const string LogFile = "runsc.log";

    private readonly SandboxOptions _options;
    private readonly SandboxHost _host;
    private readonly Lazy<SandboxAvailability> _availability;
    private readonly string _bundles;
    private readonly ILogger _logger;

    /// <summary>Creates the profile from <c>Soma:Sandbox</c>.</summary>
    public GvisorSandbox(IOptions<SandboxOptions> options, SandboxHost host, ILogger<GvisorSandbox>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _host = host;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _bundles = Path.Combine(Path.GetTempPath(), "soma-gvisor");
        _availability = new Lazy<SandboxAvailability>(Probe);
    }

    /// <inheritdoc />
    public string Name => "gvisor";

    /// <inheritdoc />
    public SandboxAvailability Availability => _availability.Value;

    /// <inheritdoc />
    public async Task<SandboxResult> RunAsync(SandboxCommand command, Func<SandboxOutput, ValueTask>? onOutput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!Availability.Available)
        {
            return new SandboxResult(null, string.Empty, string.Empty, TimeSpan.Zero) { Error = $"The gVisor sandbox cannot run here: {Availability.Problem}" };
        }

        if (command.Network.Granted)
        {
            return new SandboxResult(null, string.Empty, string.Empty, TimeSpan.Zero) { Error = EgressUnsupported };
        }

        return await RunUncheckedAsync(command, onOutput, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public SandboxLaunch Prepare(SandboxCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Network.Granted)
        {
            throw new ArgumentException(EgressUnsupported, nameof(command));
        }

        return Launch(command, Bundle(command));
    }

    // runsc's own failure to start the sandbox is tried once more: the program did not run. runsc writes that failure to
    // its log file in the call's bundle, out of the program's reach, so a program that exits with 128 itself keeps its
    // exit status whatever it prints. A second failure is the call's error, not an exit status. The first attempt's
    // message (runsc writes it to stderr too) stays in what was streamed to onOutput.
    private async Task<SandboxResult> RunUncheckedAsync(SandboxCommand command, Func<SandboxOutput, ValueTask>? onOutput, CancellationToken cancellationToken)
    {
        var (result, failure) = await RunOnceAsync(command, onOutput, cancellationToken).ConfigureAwait(false);
        if (failure is null || cancellationToken.IsCancellationRequested)
        {
            return result;
        }

        GvisorLog.StartRetried(_logger, failure);
        (result, failure) = await RunOnceAsync(command, onOutput, cancellationToken).ConfigureAwait(false);
        return failure is null ? result : result with { Error = $"runsc could not start the sandbox: {failure}" };
    }

    private async Task<(SandboxResult Result, string? StartFailure)> RunOnceAsync(SandboxCommand command, Func<SandboxOutput, ValueTask>? onOutput, CancellationToken cancellationToken)
    {
        var bundle = Bundle(command);
        try
        {
            var result = await SandboxProcess.RunAsync(Launch(command, bundle), command.StandardInput, command.Limits, onOutput, cancellationToken).ConfigureAwait(false);
            return (result, result is { ExitCode: 128, TimedOut: false, Error: null } ? StartFailure(Path.Combine(bundle, LogFile)) : null);
        }
        finally
        {
            try
            {
                Directory.Delete(bundle, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// runsc's message, from its log file (<c>--log-format json</c>, empty when all went well), when it failed before
    /// the program ran ("running container: creating container: …" or "… starting container: …"); else null.
    /// </summary>
    private static string? StartFailure(string logFile)
    {
        try
        {
            foreach (var line in File.ReadLines(logFile))
            {
                using var entry = JsonDocument.Parse(line);
                if (entry.RootElement.TryGetProperty("level", out var level) && level.ValueEquals("error")
                    && entry.RootElement.TryGetProperty("msg", out var message) && message.GetString() is { } text
                    && (text.StartsWith("running container: creating container: ", StringComparison.Ordinal)
                        || text.StartsWith("running container: starting container: ", StringComparison.Ordinal)))
                {
                    return text;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // No log (runsc never ran) or not runsc's: no start failure to retry.
        }

        return null;
    }

    private SandboxLaunch Launch(SandboxCommand command, string bundle) => ServerBoundLaunch.Create(
        "exec \"$@\"",
        ["/usr/bin/unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
         _options.Runsc, "--rootless", "--network=none", "--oci-seccomp", "--log", Path.Combine(bundle, LogFile), "--log-format", "json",
         "--root", Path.Combine(bundle, "state"), "run", "--bundle", bundle, Path.GetFileName(bundle)]);

    /// <summary>Writes the call's OCI bundle: an empty read-only root and the mounts.</summary>
    private string Bundle(SandboxCommand command)
    {
        if (command.Arguments.Count == 0)
        {
            throw new ArgumentException("A sandboxed command needs a program.", nameof(command));
        }

        var bundle = Path.Combine(_bundles, "c" + InstanceName.New());
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        var limits = command.Limits;
        var env = new JsonArray("PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/workspace", "TMPDIR=/tmp", "LANG=C.UTF-8");
        foreach (var (name, value) in command.Environment)
        {
            env.Add($"{name}={value}");
        }

        var mounts = new JsonArray(
            Bind("/usr", "/usr", readOnly: true),
            new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
            new JsonObject { ["destination"] = "/tmp", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "nodev", $"size={limits.TmpBytes}") },
            Bind(command.Workspace, "/workspace", readOnly: false));
        foreach (var top in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64" })
        {
            var target = new FileInfo(top).LinkTarget is { } link ? Path.GetFullPath(link, "/") : top;
            if (Directory.Exists(target))
            {
                mounts.Add(Bind(target, top, readOnly: true));
            }
        }

        foreach (var path in _options.EtcFiles.Where(p => p.StartsWith("/etc/", StringComparison.Ordinal) && Path.Exists(p)))
        {
            mounts.Add(Bind(path, path, readOnly: true));
        }

        var none = new JsonArray();
        var config = new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray([.. command.Arguments.Select(a => (JsonNode?)a)]),
                ["env"] = env,
                ["cwd"] = "/workspace",
                ["noNewPrivileges"] = true,
                ["capabilities"] = new JsonObject { ["bounding"] = none.DeepClone(), ["effective"] = none.DeepClone(), ["inheritable"] = none.DeepClone(), ["permitted"] = none.DeepClone(), ["ambient"] = none.DeepClone() },
                ["rlimits"] = new JsonArray(
                    Limit("RLIMIT_CPU", limits.CpuSeconds),
                    Limit("RLIMIT_AS", limits.AddressSpaceBytes),
                    Limit("RLIMIT_FSIZE", limits.FileSizeBytes),
                    Limit("RLIMIT_NOFILE", limits.OpenFiles),
                    Limit("RLIMIT_NPROC", limits.Processes),
                    Limit("RLIMIT_CORE", 0)),
            },
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = true },
            ["hostname"] = "sandbox",
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray(
                    new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "ipc" }, new JsonObject { ["type"] = "uts" },
                    new JsonObject { ["type"] = "mount" }, new JsonObject { ["type"] = "network" }),
                // gVisor enforces OCI seccomp on the program inside its kernel (--oci-seccomp): the same calls as bubblewrap's filter fail.
                ["seccomp"] = new JsonObject
                {
                    ["defaultAction"] = "SCMP_ACT_ALLOW",
                    ["architectures"] = new JsonArray("SCMP_ARCH_X86_64"),
                    ["syscalls"] = new JsonArray(new JsonObject
                    {
                        ["names"] = new JsonArray([.. SeccompFilter.Killed.Keys.Order(StringComparer.Ordinal).Select(n => (JsonNode?)n)]),
                        ["action"] = "SCMP_ACT_ERRNO",
                        ["errnoRet"] = 1,
                    }),
                },
            },
        };
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
        return bundle;
    }

    private static JsonObject Bind(string source, string destination, bool readOnly) => new()
    {
        ["destination"] = destination,
        ["type"] = "bind",
        ["source"] = source,
        ["options"] = new JsonArray("rbind", readOnly ? "ro" : "rw", "nosuid", "nodev"),
    };

    private static JsonObject Limit(string type, long value) => new() { ["type"] = type, ["hard"] = value, ["soft"] = value };

    private SandboxAvailability Probe()
    {
        if (_host.Problem is { } problem)
        {
            return SandboxAvailability.Missing(problem);
        }

        if (!File.Exists(_options.Runsc))
        {
            return SandboxAvailability.Missing($"{_options.Runsc} is not installed (Debian: runsc)");
        }

        if (!_host.RunsAsRoot)
        {
            return SandboxAvailability.Missing("runsc needs the server to run as root here (rootless runsc in a user namespace is not set up)");
        }

        var workspace = Directory.CreateTempSubdirectory("soma-probe-");
        try
        {
            var probe = RunUncheckedAsync(new SandboxCommand(["/bin/true"], workspace.FullName, SandboxLimits.Default), null, CancellationToken.None).GetAwaiter().GetResult();
            if (!probe.Succeeded)
            {
                return SandboxAvailability.Missing(probe.Error is { } error && error.StartsWith("runsc ", StringComparison.Ordinal)
                    ? error
                    : $"runsc could not start a sandbox: {(probe.Error ?? probe.Stderr).Trim()}");
            }
        }
        finally
        {
            workspace.Delete(recursive: true);
        }

        return new SandboxAvailability(true, null, ["gvisor", "namespaces", "rlimits"]);
    }
}
