using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Soma.Core.Sandbox;
using Soma.Testing;

namespace Soma.Benchmarks;

/// <summary>
/// The escape corpus side by side (<c>dotnet run -c Release -- sandbox-escapes [--srt PATH]</c>; run it through
/// <c>benchmarks/sandbox/escape-compare</c>, which gives it a private network namespace): each case of the corpus that
/// applies to a command sandbox, run as a real attempt on our <c>bubblewrap</c> and <c>gvisor</c> profiles (default
/// limits, as a tool gets them) and on Anthropic's <c>srt</c> twice, with its defaults and configured for the same job
/// (the workspace writable, no network, the data directory, <c>/root</c> and <c>/home</c> read-denied, the secret
/// environment variable withheld). Each attempt is judged from the host (files, the listener, <c>/proc</c>), not from
/// what the sandboxed program says. Prints blocked / not blocked / n/a per case, then each outcome's detail.
/// </summary>
public static partial class SandboxEscapes
{
    private const string Secret = "s3cr3t-never-in-a-sandbox";
    private const string SecretVariable = "SOMA_BENCH_SECRET";

    // A documentation address (TEST-NET-1), assigned by escape-compare inside its own network namespace, so "another
    // address" is a host of ours and no packet can leave the machine.
    private static readonly IPAddress OtherAddress = IPAddress.Parse("192.0.2.1");

    public static async Task<int> RunAsync(string[] args)
    {
        var srt = SandboxBench.FindSrt(args);
        var (host, bubblewrap, gvisor) = SandboxBench.Ours();
        using var owner = host;
        using var data = new TempDirectory("soma-escape-data");
        using var srtHome = new TempDirectory("soma-escape-srt-home");
        Directory.CreateDirectory(Path.Combine(data.Path, ".soma"));
        var key = Path.Combine(data.Path, ".soma", "jwt-hs256.key");
        var database = Path.Combine(data.Path, ".soma", "soma.db");
        await File.WriteAllTextAsync(key, Secret);
        await File.WriteAllTextAsync(database, "SQLite format 3\0" + Secret);
        Environment.SetEnvironmentVariable(SecretVariable, Secret); // in the server's environment, as a token would be

        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var accepted = 0;
        _ = AcceptAsync(listener, () => Interlocked.Increment(ref accepted));
        var other = NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Any(a => a.Address.Equals(OtherAddress));

        foreach (var sandbox in new IToolSandbox[] { bubblewrap, gvisor })
        {
            if (!sandbox.Availability.Available)
            {
                Console.Error.WriteLine($"{sandbox.Name}: {sandbox.Availability.Problem}");
                return 1;
            }
        }

        var contenders = new List<Contender>
        {
            Ours("bubblewrap (ours)", bubblewrap),
            Ours("gvisor (ours)", gvisor),
        };
        if (srt is not null)
        {
            var version = SandboxBench.SrtVersion(srt);
            contenders.Add(Srt($"srt {version}, defaults", srt, null, srtHome.Path));
            contenders.Add(Srt($"srt {version}, configured", srt, workspace => SandboxBench.WriteSrtSettings(
                Path.Combine(srtHome.Path, "settings-" + Path.GetFileName(workspace) + ".json"), workspace, [data.Path, "/root", "/home"], [SecretVariable]), srtHome.Path));
        }

        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var context = new Context(key, database, data.Path, port, other ? OtherAddress.ToString() : null, Environment.ProcessId, () => Volatile.Read(ref accepted));
        Console.WriteLine($"escape corpus, side by side; load average {SandboxBench.LoadAverage()}; srt: {srt ?? "not installed (benchmarks/sandbox/install-srt.sh)"}; another address: {(other ? OtherAddress : "none (run through benchmarks/sandbox/escape-compare)")}");
        var table = new List<(Case Case, List<Outcome> Outcomes)>();
        foreach (var @case in Cases())
        {
            var outcomes = new List<Outcome>();
            foreach (var contender in contenders)
            {
                Console.Error.Write($"{@case.Title} on {contender.Name} … ");
                var outcome = await RunCaseAsync(@case, contender, context);
                Console.Error.WriteLine(outcome.Verdict);
                outcomes.Add(outcome);
            }

            table.Add((@case, outcomes));
        }

        Console.WriteLine();
        Console.WriteLine("| case | " + string.Join(" | ", contenders.Select(c => c.Name)) + " |");
        Console.WriteLine("|---|" + string.Concat(contenders.Select(_ => "---|")));
        foreach (var (@case, outcomes) in table)
        {
            Console.WriteLine($"| {@case.Title} | " + string.Join(" | ", outcomes.Select(o => Cell(o.Verdict))) + " |");
        }

        Console.WriteLine();
        foreach (var (@case, outcomes) in table)
        {
            Console.WriteLine($"- **{@case.Title}**");
            for (var i = 0; i < contenders.Count; i++)
            {
                Console.WriteLine($"  - {contenders[i].Name}: {Cell(outcomes[i].Verdict)} — {outcomes[i].Detail}");
            }
        }

        var leftovers = SandboxBench.ProcessesWith("soma-escape-");
        Console.WriteLine();
        Console.WriteLine($"processes of the corpus left at the end: {leftovers.Count}; load average {SandboxBench.LoadAverage()}");
        SandboxBench.KillAll(leftovers);
        return 0;
    }

    private static string Cell(Verdict verdict) => verdict switch
    {
        Verdict.Blocked => "blocked",
        Verdict.NotBlocked => "**not blocked**",
        Verdict.Yes => "yes",
        Verdict.No => "no",
        _ => "n/a",
    };

    private static async Task<Outcome> RunCaseAsync(Case @case, Contender contender, Context context)
    {
        using var workspace = new TempDirectory("soma-escape-ws");
        var marker = "soma-escape-" + Guid.NewGuid().ToString("n")[..12];
        var probe = new Probe(workspace.Path, marker, contender.IsSrt);
        var before = context.Accepted();
        var run = await contender.Run(@case.Arguments(context, probe), probe, @case);
        var outcome = @case.Judge(context with { Accepted = () => context.Accepted() - before }, probe, run);
        await Task.Delay(300); // anything that detached has had time to show up in /proc
        var left = SandboxBench.ProcessesWith(marker);
        if (left.Count > 0)
        {
            SandboxBench.KillAll(left);
            outcome = outcome with { Detail = outcome.Detail + $"; {left.Count} process(es) outlived the call (killed by the driver)" };
        }

        return outcome;
    }

    private static Contender Ours(string name, IToolSandbox sandbox) => new(name, false, async (arguments, probe, @case) =>
    {
        var limits = @case.Timeout is { } timeout
            ? SandboxLimits.Default with { Timeout = timeout, KillGrace = TimeSpan.FromMilliseconds(200) }
            : SandboxLimits.Default with { Timeout = TimeSpan.FromSeconds(60) };
        using var stop = new CancellationTokenSource();
        var watch = @case.StopWhen is { } when ? WatchAsync(() => when(probe), stop) : Task.CompletedTask;
        var result = await sandbox.RunAsync(new SandboxCommand(arguments, probe.Workspace, limits), null, stop.Token);
        var stopped = stop.IsCancellationRequested;
        await stop.CancelAsync();
        await watch;
        return new Run(result.ExitCode, result.Signal, result.Stdout, result.Stderr, result.TimedOut, stopped, result.Error);
    });

    private static Contender Srt(string name, string srt, Func<string, string>? settings, string home) => new(name, true, async (arguments, probe, @case) =>
    {
        var start = new ProcessStartInfo(srt) { WorkingDirectory = probe.Workspace };
        if (settings is not null)
        {
            start.ArgumentList.Add("--settings");
            start.ArgumentList.Add(settings(probe.Workspace));
        }
        else
        {
            start.Environment["HOME"] = home; // no ~/.srt-settings.json: srt's built-in defaults
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(SandboxBench.ShellLine(arguments));
        string? afterTerm = null;
        var result = await SandboxBench.RunAsync(start, @case.Timeout is { } t ? t + TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(60), @case.StopWhen is { } when ? () => when(probe) : null, async process =>
        {
            // What a caller can do without a timeout of srt's own: SIGTERM to srt. Does the command die with it?
            _ = Kill(process.Id, 15);
            await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(2000));
            afterTerm = SandboxBench.ProcessesWith(probe.Marker).Count == 0 ? "SIGTERM to srt ended the command" : "the command was still running 2 s after SIGTERM to srt";
        });
        var signal = result.ExitCode > 128 && result.ExitCode < 160 ? "SIG" + (result.ExitCode - 128).ToString(CultureInfo.InvariantCulture) : null;
        return new Run(signal is null ? result.ExitCode : null, signal, result.Stdout, result.Stderr, false, result.StoppedByDriver, afterTerm);
    });

    private static async Task WatchAsync(Func<bool> when, CancellationTokenSource stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (when())
            {
                await stop.CancelAsync();
                return;
            }

            try
            {
                await Task.Delay(50, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task AcceptAsync(TcpListener listener, Action counted)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }

            counted();
            using (socket)
            {
                await socket.SendAsync("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray());
            }
        }
    }

    private static string[] Shell(string script) => ["/bin/sh", "-c", script];

    private static string[] Python(string script, params string[] arguments) => ["/usr/bin/python3", "-c", script, .. arguments];

    private static string Brief(string text, int max = 140)
    {
        var line = string.Join(" / ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Replace("|", "\\|", StringComparison.Ordinal);
        return line.Length <= max ? line : line[..max] + "…";
    }

    private static string Ended(Run run) =>
        run.Error is { Length: > 0 } e && !run.StoppedByDriver ? $"error: {e}" : run.Signal is { } s ? $"killed by {s}" : run.TimedOut ? "killed at its time limit" : run.StoppedByDriver ? "stopped by the driver" : $"exit {run.ExitCode}";

    // A system call attempted in a child, so a seccomp kill (SIGSYS) shows as the child's signal and the probe goes on.
    private const string SyscallProbe = """
        import ctypes, errno, os, signal, sys
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        def attempt(name, call):
            pid = os.fork()
            if pid == 0:
                r = call()
                e = ctypes.get_errno()
                os.write(1, (f"{name} ALLOWED\n" if r >= 0 else f"{name} refused {errno.errorcode.get(e, e)}\n").encode())
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            if os.WIFSIGNALED(status):
                print(name, "killed", signal.Signals(os.WTERMSIG(status)).name, flush=True)
        """;

    private static IEnumerable<Case> Cases()
    {
        yield return new Case("read /etc/shadow", (_, _) => Shell("cat /etc/shadow"), (_, _, run) =>
            run.Stdout.Contains("root:", StringComparison.Ordinal)
                ? new Outcome(Verdict.NotBlocked, $"read it: {Brief(run.Stdout, 40)}")
                : new Outcome(Verdict.Blocked, Brief(run.Stderr)));

        yield return new Case("read the data directory's key and database", (c, _) => Shell($"cat '{c.Key}'; echo; cat '{c.Database}'"), (_, _, run) =>
            (run.Stdout + run.Stderr).Contains(Secret, StringComparison.Ordinal)
                ? new Outcome(Verdict.NotBlocked, "read the key")
                : new Outcome(Verdict.Blocked, Brief(run.Stderr)));

        yield return new Case("read a secret in the server's environment", (_, _) => Shell($"echo \"value=${SecretVariable}\""), (_, _, run) =>
            run.Stdout.Contains(Secret, StringComparison.Ordinal)
                ? new Outcome(Verdict.NotBlocked, "the variable is passed on")
                : new Outcome(Verdict.Blocked, Brief(run.Stdout)));

        yield return new Case("write outside the workspace", (c, p) => Shell(
            $"for d in /usr /etc / /root /tmp '{c.DataDirectory}'; do echo x > \"$d/{p.Marker}\" 2>/dev/null && echo \"wrote $d\"; done; echo in > {p.Marker} && echo INSIDE"), (c, p, run) =>
        {
            var written = new[] { "/usr", "/etc", "/", "/root", "/tmp", c.DataDirectory }.Select(d => Path.Combine(d, p.Marker)).Where(File.Exists).ToList();
            foreach (var file in written)
            {
                File.Delete(file);
            }

            var inside = File.Exists(Path.Combine(p.Workspace, p.Marker)) ? "the workspace is writable" : "the workspace is not writable either";
            return written.Count > 0
                ? new Outcome(Verdict.NotBlocked, $"host files written: {string.Join(", ", written)}; {inside}")
                : new Outcome(Verdict.Blocked, $"no host file written ({Brief(run.Stdout.Replace(p.Marker, "…", StringComparison.Ordinal), 80)}); {inside}");
        });

        yield return new Case("reach 127.0.0.1 and another address", (c, _) => Python("""
            import socket, sys, urllib.request
            port = int(sys.argv[1])
            for h in sys.argv[2:]:
                try:
                    socket.create_connection((h, port), timeout=2).close(); print("CONNECTED", h)
                except OSError as e:
                    print("refused", h, e.__class__.__name__)
            proxies = urllib.request.getproxies()
            print("proxy-env", ",".join(sorted(proxies)) or "none")
            if "http" in proxies:
                for h in sys.argv[2:]:
                    try:
                        print("PROXIED", h, urllib.request.urlopen(f"http://{h}:{port}/", timeout=3).status)
                    except Exception as e:
                        print("proxy-refused", h, str(e)[:60])
            """, [c.Port.ToString(CultureInfo.InvariantCulture), "127.0.0.1", .. c.OtherAddress is null ? Array.Empty<string>() : [c.OtherAddress]]), (c, _, run) =>
        {
            var before = c.Accepted();
            var reached = run.Stdout.Contains("CONNECTED", StringComparison.Ordinal) || run.Stdout.Contains("PROXIED", StringComparison.Ordinal);
            var detail = Brief(run.Stdout, 220) + (c.OtherAddress is null ? " (no other address: loopback only)" : string.Empty);
            return reached || before > 0
                ? new Outcome(Verdict.NotBlocked, $"the host listener was reached: {detail}")
                : new Outcome(Verdict.Blocked, detail);
        });

        yield return new Case("ptrace the server", (c, _) => Python(SyscallProbe + "\n\nattempt(\"ptrace-attach-server\", lambda: libc.ptrace(16, int(sys.argv[1]), 0, 0))\n", c.ServerPid.ToString(CultureInfo.InvariantCulture)), (_, _, run) =>
            run.Stdout.Contains("ALLOWED", StringComparison.Ordinal)
                ? new Outcome(Verdict.NotBlocked, Brief(run.Stdout))
                : new Outcome(Verdict.Blocked, Brief(run.Stdout + run.Stderr)));

        yield return new Case("ptrace a process of its own (seccomp)", (_, _) => Python(SyscallProbe + "\n" + """
            import time
            child = os.fork()
            if child == 0:
                time.sleep(5); os._exit(0)
            attempt("ptrace-attach-sibling", lambda: libc.ptrace(16, child, 0, 0))
            os.kill(child, 9)
            """), (_, _, run) =>
            run.Stdout.Contains("ALLOWED", StringComparison.Ordinal)
                ? new Outcome(Verdict.NotBlocked, Brief(run.Stdout))
                : new Outcome(Verdict.Blocked, Brief(run.Stdout + run.Stderr)));

        yield return new Case("mount", (_, _) => Python(SyscallProbe + "\n\nattempt('mount-tmpfs', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n"), (_, _, run) =>
            run.Stdout.Contains("ALLOWED", StringComparison.Ordinal)
                ? new Outcome(Verdict.NotBlocked, Brief(run.Stdout))
                : new Outcome(Verdict.Blocked, Brief(run.Stdout + run.Stderr)));

        yield return new Case("unshare (new user + mount namespace)", (_, _) => Python(SyscallProbe + "\n\nattempt('unshare-user-mount', lambda: libc.unshare(0x10000000 | 0x20000))\n"), (_, _, run) =>
            run.Stdout.Contains("ALLOWED", StringComparison.Ordinal)
                ? new Outcome(Verdict.NotBlocked, Brief(run.Stdout))
                : new Outcome(Verdict.Blocked, Brief(run.Stdout + run.Stderr)));

        // Reached the kernel: it answered with anything but the filter's EPERM/ENOSYS or a SIGSYS kill. (Under gVisor the
        // kernel that answers is gVisor's own, not the host's.)
        static Outcome Reached(Run run)
        {
            var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var reached = lines.Where(l => l.Contains("ALLOWED", StringComparison.Ordinal) || (l.Contains("refused", StringComparison.Ordinal) && !l.EndsWith("EPERM", StringComparison.Ordinal) && !l.EndsWith("ENOSYS", StringComparison.Ordinal))).ToList();
            return reached.Count > 0
                ? new Outcome(Verdict.NotBlocked, $"{reached.Count} of {lines.Length} reached the kernel: {Brief(run.Stdout, 260)}")
                : new Outcome(Verdict.Blocked, Brief(run.Stdout + run.Stderr, 260));
        }

        yield return new Case("kernel interfaces: keyctl, add_key, bpf, perf_event_open, userfaultfd", (_, _) => Python(SyscallProbe + "\n" + """
            buf = ctypes.create_string_buffer(256)
            attempt("keyctl", lambda: libc.syscall(250, 0, -3, 1))
            attempt("add_key", lambda: libc.syscall(248, b"user", b"soma", b"x", 1, -3))
            attempt("bpf", lambda: libc.syscall(321, 0, buf, 72))
            attempt("perf_event_open", lambda: libc.syscall(298, buf, 0, -1, -1, 0))
            attempt("userfaultfd", lambda: libc.syscall(323, 0))
            """), (_, _, run) => Reached(run));

        yield return new Case("io_uring_setup", (_, _) => Python(SyscallProbe + "\n" + """
            buf = ctypes.create_string_buffer(256)
            attempt("io_uring_setup", lambda: libc.syscall(425, 1, buf))
            """), (_, _, run) => Reached(run));

        yield return new Case("fork bomb (up to 1,000 processes)", (_, p) => Python($$"""
            import os
            made = 0
            for _ in range(1000):
                try:
                    if os.fork() == 0:
                        os.execv("/bin/sleep", ["sleep", "30", "{{p.Marker}}"])
                    made += 1
                except OSError as e:
                    print("fork refused after", made, e.__class__.__name__, flush=True)
                    break
            else:
                print("FORKED", made, flush=True)
            """), (_, p, run) =>
        {
            var left = SandboxBench.ProcessesWith(p.Marker);
            SandboxBench.KillAll(left);
            return run.Stdout.Contains("fork refused", StringComparison.Ordinal)
                ? new Outcome(Verdict.Blocked, Brief(run.Stdout))
                : new Outcome(Verdict.NotBlocked, $"{Brief(run.Stdout)} (the probe stops at 1,000; nothing limited it){(left.Count > 0 ? $"; {left.Count} still running after the call" : string.Empty)}");
        });

        yield return new Case("memory bomb (2 GiB)", (_, _) => Python("b = bytearray(2 << 30); print('ALLOCATED', len(b))"), (_, _, run) =>
            run.Stdout.Contains("ALLOCATED", StringComparison.Ordinal)
                ? new Outcome(Verdict.NotBlocked, "allocated and zeroed 2 GiB")
                : new Outcome(Verdict.Blocked, $"{Ended(run)}: {Brief(run.Stderr, 80)}"));

        yield return new Case("10 GB write", (_, _) => Shell("dd if=/dev/zero of=big bs=1M count=10240 status=none; echo dd-exit=$?"), (_, p, run) =>
        {
            var file = new FileInfo(Path.Combine(p.Workspace, "big"));
            var size = file.Exists ? file.Length : 0;
            var mib = (size / (1024.0 * 1024)).ToString("N0", CultureInfo.InvariantCulture);
            return run.StoppedByDriver || size > 1L << 30
                ? new Outcome(Verdict.NotBlocked, $"{mib} MiB written when the driver stopped it (it stops at 1 GiB)")
                : new Outcome(Verdict.Blocked, $"stopped at {mib} MiB: {Ended(run)} {Brief(run.Stdout + run.Stderr, 60)}");
        }, StopWhen: p => new FileInfo(Path.Combine(p.Workspace, "big")) is { Exists: true, Length: > 1L << 30 });

        yield return new Case("infinite loop past a 3 s timeout", (_, p) => Shell($"echo before-{p.Marker}; while :; do :; done"), (_, p, run) =>
            run.TimedOut
                ? new Outcome(Verdict.Blocked, $"killed at its 3 s limit, output kept: {run.Stdout.Contains("before-", StringComparison.Ordinal)}")
                : p.IsSrt
                    ? new Outcome(Verdict.NotApplicable, $"srt has no time limit of its own: still running at 5 s, the driver stopped it; {run.Error}")
                    : new Outcome(Verdict.NotBlocked, Ended(run)), Timeout: TimeSpan.FromSeconds(3));

        yield return new Case("daemon outliving the call (double fork, setsid)", (_, p) => Shell(
            $"(setsid sleep 600 {p.Marker} </dev/null >/dev/null 2>&1 &); (nohup sleep 600 {p.Marker} </dev/null >/dev/null 2>&1 &); echo detached"), (_, p, run) =>
        {
            Thread.Sleep(500);
            var left = SandboxBench.ProcessesWith(p.Marker);
            SandboxBench.KillAll(left);
            return left.Count > 0
                ? new Outcome(Verdict.NotBlocked, $"{left.Count} process(es) alive on the host after the call returned ({Ended(run)})")
                : new Outcome(Verdict.Blocked, $"none left in /proc after the call ({Ended(run)}, {Brief(run.Stdout, 30)})");
        });

        yield return new Case("seccomp filter present (/proc/self/status)", (_, _) => Shell("grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs):' /proc/self/status"), (_, _, run) =>
            run.Stdout.Contains("Seccomp:\t2", StringComparison.Ordinal)
                ? new Outcome(Verdict.Yes, Brief(run.Stdout))
                : new Outcome(Verdict.No, Brief(run.Stdout + run.Stderr)));

        yield return new Case("Landlock domain (listing / refused with EACCES though it is mounted)", (_, _) => Python("""
            import os
            os.stat("/")
            try:
                os.listdir("/"); print("listed /")
            except PermissionError as e:
                print("LANDLOCK EACCES on /")
            """), (_, _, run) =>
            run.Stdout.Contains("LANDLOCK", StringComparison.Ordinal)
                ? new Outcome(Verdict.Yes, Brief(run.Stdout))
                : new Outcome(Verdict.No, Brief(run.Stdout + run.Stderr)));

        yield return new Case("rlimits set (CPU time, file size, address space)", (_, _) => Python("""
            import resource
            for name in ("CPU", "FSIZE", "AS", "NPROC", "NOFILE"):
                soft = resource.getrlimit(getattr(resource, "RLIMIT_" + name))[0]
                print(name, "unlimited" if soft == resource.RLIM_INFINITY else soft)
            """), (_, _, run) =>
        {
            var limits = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)).Where(l => l.Length == 2).ToList();
            var set = limits.Count(l => l[0] is "CPU" or "FSIZE" or "AS" && l[1] != "unlimited");
            var detail = string.Join(", ", limits.Select(l => $"{l[0]} {l[1]}"));
            return set > 0 ? new Outcome(Verdict.Yes, detail) : new Outcome(Verdict.No, detail + Brief(run.Stderr));
        });
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private enum Verdict
    {
        Blocked,
        NotBlocked,
        NotApplicable,
        Yes,
        No,
    }

    private sealed record Context(string Key, string Database, string DataDirectory, int Port, string? OtherAddress, int ServerPid, Func<int> Accepted);

    private sealed record Probe(string Workspace, string Marker, bool IsSrt);

    private sealed record Run(int? ExitCode, string? Signal, string Stdout, string Stderr, bool TimedOut, bool StoppedByDriver, string? Error);

    private sealed record Outcome(Verdict Verdict, string Detail);

    private sealed record Contender(string Name, bool IsSrt, Func<IReadOnlyList<string>, Probe, Case, Task<Run>> Run);

    private sealed record Case(string Title, Func<Context, Probe, IReadOnlyList<string>> Arguments, Func<Context, Probe, Run, Outcome> Judge, TimeSpan? Timeout = null, Func<Probe, bool>? StopWhen = null);
}
