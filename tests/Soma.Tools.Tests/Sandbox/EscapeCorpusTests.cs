using System.Net;
using System.Net.Sockets;
using Soma.Core.Sandbox;
using Soma.Testing;
using Soma.Tools.Sandbox;

namespace Soma.Tools.Tests.Sandbox;

/// <summary>
/// The escape corpus: each case is a real attempt to get out of the sandbox, on bubblewrap and on gVisor, with the
/// refusal it must meet. After each case no process of the call is left (checked from <c>/proc</c>; the launchers the
/// bubblewrap profile keeps parked for the next calls are no call's).
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class EscapeCorpusTests(SandboxFixture fixture) : IDisposable
{
    private readonly TempDirectory _workspace = new("soma-workspace");

    /// <summary>Forks sleeping children until a fork is refused: prints "fork refused after N …", or "FORKED ALL N".</summary>
    internal const string ForkBomb = """
        import os, time
        made = 0
        for _ in range(10000):
            try:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                made += 1
            except OSError as e:
                print("fork refused after", made, e, flush=True)
                break
        else:
            print("FORKED ALL", made, flush=True)
        """;

    public static TheoryData<string> Profiles => ["bubblewrap", "gvisor"];

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Reading_etc_shadow_finds_nothing(string profile)
    {
        var result = await RunAsync(profile, "cat /etc/passwd; cat /etc/shadow");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("/etc/shadow", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task The_data_directory_key_and_database_are_out_of_sight(string profile)
    {
        var result = await RunAsync(profile, $"cat '{fixture.KeyFile}'; cat '{fixture.DatabaseFile}'; ls '{fixture.Data.Path}'; find / -name 'signing.key' 2>/dev/null");
        Assert.DoesNotContain(SandboxFixture.Secret, result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("signing.key\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("No such file", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Writes_outside_the_workspace_fail_and_inside_it_work(string profile)
    {
        var marker = "escape-" + Guid.NewGuid().ToString("n");
        var result = await RunAsync(profile, $"for d in /usr /etc / /.soma /proc; do echo x > $d/{marker} && echo WROTE $d; done; echo inside > /workspace/{marker} && echo INSIDE");
        Assert.DoesNotContain("WROTE", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("INSIDE", result.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists($"/usr/{marker}") || File.Exists($"/{marker}") || File.Exists($"/etc/{marker}"));
        Assert.Equal("inside\n", await File.ReadAllTextAsync(Path.Combine(_workspace.Path, marker)));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task The_network_is_unreachable_loopback_and_beyond(string profile)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptSocketAsync();
        var script = $$"""
            import socket
            for host, port in (("127.0.0.1", {{port}}), ("192.0.2.1", 80), ("198.51.100.1", 443)):
                try:
                    socket.create_connection((host, port), timeout=2).close()
                    print("CONNECTED", host)
                except OSError as e:
                    print("refused", host, e)
            """;
        var result = await RunAsync(profile, ["/usr/bin/python3", "-c", script]);
        Assert.DoesNotContain("CONNECTED", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(3, result.Stdout.Split('\n').Count(line => line.StartsWith("refused ", StringComparison.Ordinal)));
        Assert.False(accepted.IsCompleted, "the host's loopback listener got a connection from the sandbox");
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Ptrace_of_the_server_is_refused(string profile)
    {
        var script = $"import ctypes; libc = ctypes.CDLL(None, use_errno=True); r = libc.ptrace(16, {Environment.ProcessId}, 0, 0); print('ATTACHED' if r == 0 else 'refused', ctypes.get_errno())";
        var result = await RunAsync(profile, ["/usr/bin/python3", "-c", script]);
        Assert.DoesNotContain("ATTACHED", result.Stdout, StringComparison.Ordinal);
        if (profile == "bubblewrap")
        {
            Assert.Equal("SIGSYS", result.Signal); // the seccomp filter kills it
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Mount_is_refused(string profile)
    {
        var script = "import ctypes; libc = ctypes.CDLL(None, use_errno=True); r = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None); print('MOUNTED' if r == 0 else 'refused', ctypes.get_errno())";
        var result = await RunAsync(profile, ["/usr/bin/python3", "-c", script]);
        Assert.DoesNotContain("MOUNTED", result.Stdout, StringComparison.Ordinal);
        if (profile == "bubblewrap")
        {
            Assert.Equal("SIGSYS", result.Signal);
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Unshare_is_refused(string profile)
    {
        var script = "import ctypes; libc = ctypes.CDLL(None, use_errno=True); r = libc.unshare(0x10000000 | 0x20000); print('UNSHARED' if r == 0 else 'refused', ctypes.get_errno())";
        var result = await RunAsync(profile, ["/usr/bin/python3", "-c", script]);
        Assert.DoesNotContain("UNSHARED", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Io_uring_is_refused(string profile)
    {
        // io_uring_setup(8, params): a ring's operations would bypass the syscall filter.
        var script = "import ctypes; libc = ctypes.CDLL(None, use_errno=True); p = ctypes.create_string_buffer(120); r = libc.syscall(425, 8, p); print('RING' if r >= 0 else 'refused', ctypes.get_errno())";
        var result = await RunAsync(profile, ["/usr/bin/python3", "-c", script]);
        Assert.DoesNotContain("RING", result.Stdout, StringComparison.Ordinal);
        if (profile == "bubblewrap")
        {
            Assert.Equal("SIGSYS", result.Signal);
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task A_fork_bomb_is_bounded_and_dies_with_the_call(string profile)
    {
        var limits = new SandboxLimits(TimeSpan.FromSeconds(3), 1 << 16) { Processes = 32 };
        var result = await RunAsync(profile, ["/usr/bin/python3", "-c", ForkBomb], limits);
        Assert.DoesNotContain("FORKED ALL", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("fork refused after", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task A_memory_bomb_is_refused(string profile)
    {
        var limits = SandboxLimits.Default with { AddressSpaceBytes = 512L << 20 };
        var result = await RunAsync(profile, ["/usr/bin/python3", "-c", "b = bytearray(4 << 30); print('ALLOCATED', len(b))"], limits);
        Assert.DoesNotContain("ALLOCATED", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("MemoryError", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task A_10_GB_write_stops_at_the_file_size_limit(string profile)
    {
        var limits = SandboxLimits.Default with { FileSizeBytes = 8L << 20 };
        var result = await RunAsync(profile, "dd if=/dev/zero of=/workspace/big bs=1M count=10240", limits);
        var size = new FileInfo(Path.Combine(_workspace.Path, "big")).Length;
        Assert.True(size <= 8L << 20, $"the sandbox wrote {size} bytes past its 8 MiB limit");
        Assert.NotEqual(0, result.ExitCode ?? -1);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task An_infinite_loop_is_killed_at_its_timeout_and_keeps_its_output(string profile)
    {
        var limits = new SandboxLimits(TimeSpan.FromSeconds(2), 1 << 20) { KillGrace = TimeSpan.FromMilliseconds(200) };
        var result = await RunAsync(profile, "echo before-the-loop; while :; do :; done", limits);
        Assert.True(result.TimedOut, $"the loop ended after {result.Duration.TotalMilliseconds:F0} ms: exit {result.ExitCode}, signal {result.Signal}, stdout '{result.Stdout}', stderr '{result.Stderr}'");
        Assert.True(result.OutputTruncated);
        Assert.Contains("before-the-loop", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task A_daemon_does_not_outlive_the_call(string profile)
    {
        var marker = 1000 + Random.Shared.Next(1, 999);
        var result = await RunAsync(profile, $"(setsid sleep {marker}.5 </dev/null >/dev/null 2>&1 &); (sleep {marker}.25 &) ; echo detached");
        Assert.Contains("detached", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(HostProcesses($"sleep {marker}."));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Output_past_the_cap_is_cut_and_marked(string profile)
    {
        var limits = new SandboxLimits(TimeSpan.FromSeconds(20), 64 * 1024);
        var result = await RunAsync(profile, "yes soma", limits);
        Assert.True(result.OutputTruncated);
        Assert.False(result.TimedOut);
        Assert.True(result.Stdout.Length <= 64 * 1024);
        Assert.StartsWith("soma\nsoma\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seccomp_is_loaded_and_landlock_confines_the_launcher()
    {
        var result = await RunAsync("bubblewrap", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; ls / >/dev/null 2>&1 || echo root-unreadable");
        Assert.Contains("Seccomp:\t2", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", result.Stdout, StringComparison.Ordinal);
        if (fixture.Host.LandlockAbi > 0)
        {
            Assert.Contains("root-unreadable", result.Stdout, StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        Assert.DoesNotContain(SandboxProcess.Descendants(Environment.ProcessId), IsSandboxProcess);
        _workspace.Dispose();
    }

    private Task<SandboxResult> RunAsync(string profile, string shell, SandboxLimits? limits = null) => RunAsync(profile, ["/bin/sh", "-c", shell], limits);

    private async Task<SandboxResult> RunAsync(string profile, IReadOnlyList<string> arguments, SandboxLimits? limits = null)
    {
        var sandbox = fixture.Require(profile);
        var result = await sandbox.RunAsync(new SandboxCommand(arguments, _workspace.Path, limits ?? new SandboxLimits(TimeSpan.FromSeconds(20), 1 << 20)), null, CancellationToken.None);
        Assert.Null(result.Error);
        return result;
    }

    private static bool IsSandboxProcess(int pid)
    {
        try
        {
            // A launcher parked for the next call (soma-sandbox-exec --park) belongs to no call.
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return !cmdline.Contains("--park", StringComparison.Ordinal)
                && (cmdline.Contains("bwrap", StringComparison.Ordinal) || cmdline.Contains("runsc", StringComparison.Ordinal) || cmdline.Contains("sandbox", StringComparison.Ordinal) || cmdline.Contains("sleep", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    internal static List<int> HostProcesses(string commandLinePart)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Contains(commandLinePart, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox";
}
