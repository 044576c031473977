using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Soma.Core.Sandbox;

namespace Soma.Tools.Sandbox;

/// <summary>
/// Runs a sandbox's program line: started from one long-lived thread (a parent-death signal belongs to the thread
/// that forked, so a pool thread that retires would kill a running sandbox), output read as it comes within a cap,
/// and past the time limit the whole tree gets SIGTERM, then SIGKILL after the grace.
/// </summary>
internal static partial class SandboxProcess
{
    private static readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Started)> Queue = [];
    private static readonly Thread Spawner = StartSpawner();

    /// <summary>Runs <paramref name="launch"/> to its end (or its limit).</summary>
    public static async Task<SandboxResult> RunAsync(SandboxLaunch launch, string? standardInput, SandboxLimits limits, Func<SandboxOutput, ValueTask>? onOutput, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = await StartAsync(launch).ConfigureAwait(false);
        }
        catch (Win32Exception ex)
        {
            return new SandboxResult(null, string.Empty, string.Empty, clock.Elapsed) { Error = $"{launch.FileName} could not start: {ex.Message}" };
        }

        return await RunStartedAsync(process, ReadOnlyMemory<byte>.Empty, standardInput, limits, onOutput, clock, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts <paramref name="launch"/> from the spawner thread, its three streams redirected.</summary>
    public static Task<Process> StartAsync(SandboxLaunch launch)
    {
        var start = new ProcessStartInfo(launch.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in launch.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (name, value) in launch.Environment)
        {
            start.Environment[name] = value;
        }

        _ = Spawner;
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((start, started));
        return started.Task;
    }

    /// <summary>
    /// Runs a started <paramref name="process"/> to its end (or its limit): <paramref name="preamble"/> first on its
    /// standard input (a parked launcher's program line), then <paramref name="standardInput"/>.
    /// </summary>
    public static async Task<SandboxResult> RunStartedAsync(Process process, ReadOnlyMemory<byte> preamble, string? standardInput, SandboxLimits limits, Func<SandboxOutput, ValueTask>? onOutput, Stopwatch clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(clock);
        using (process)
        {
            var output = new OutputCollector(limits.MaxOutputBytes, onOutput);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var stdout = output.PumpAsync(process.StandardOutput.BaseStream, SandboxStream.Stdout, stop);
            var stderr = output.PumpAsync(process.StandardError.BaseStream, SandboxStream.Stderr, stop);
            try
            {
                if (!preamble.IsEmpty)
                {
                    await process.StandardInput.BaseStream.WriteAsync(preamble, cancellationToken).ConfigureAwait(false);
                    await process.StandardInput.BaseStream.FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                if (standardInput is not null)
                {
                    await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
                }

                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program exited without reading its input.
            }

            var timedOut = false;
            var exited = process.WaitForExitAsync(CancellationToken.None);
            var limit = Task.Delay(limits.Timeout, TimeProvider.System, stop.Token);
            var first = await Task.WhenAny(exited, limit).ConfigureAwait(false);
            if (first != exited)
            {
                // The time limit, the output cap (which cancels stop) or the caller's cancellation.
                timedOut = !cancellationToken.IsCancellationRequested && !output.Truncated;
                await TerminateAsync(process, limits.KillGrace, exited).ConfigureAwait(false);
            }

            await exited.ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            var code = process.ExitCode;
            string? signal = code > 128 && code < 128 + 65 ? SignalName(code - 128) : null;
            return new SandboxResult(signal is null ? code : null, output.Text(SandboxStream.Stdout), output.Text(SandboxStream.Stderr), clock.Elapsed)
            {
                TimedOut = timedOut,
                OutputTruncated = output.Truncated || timedOut,
                OutputBytes = output.TotalBytes,
                Signal = signal,
            };
        }
    }

    private static Thread StartSpawner()
    {
        var thread = new Thread(() =>
        {
            foreach (var (start, started) in Queue.GetConsumingEnumerable())
            {
                try
                {
                    started.SetResult(Process.Start(start) ?? throw new Win32Exception("no process"));
                }
                catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
                {
                    started.SetException(ex);
                }
            }
        })
        {
            IsBackground = true,
            Name = "soma-sandbox-spawner",
        };
        thread.Start();
        return thread;
    }

    /// <summary>SIGTERM to the tree (deepest first), then SIGKILL to what is left after <paramref name="grace"/>.</summary>
    internal static async Task TerminateAsync(Process process, TimeSpan grace, Task exited)
    {
        foreach (var pid in Descendants(process.Id).Append(process.Id))
        {
            _ = Kill(pid, 15);
        }

        if (await Task.WhenAny(exited, Task.Delay(grace, TimeProvider.System)).ConfigureAwait(false) != exited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }
        }
    }

    /// <summary>Every process below <paramref name="root"/>, children after their own children (from <c>/proc</c>).</summary>
    internal static IEnumerable<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // pid (comm) state ppid …; comm may hold spaces and parentheses, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
            {
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
            }
        }

        var order = new List<int>();
        void Visit(int pid)
        {
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                Visit(child);
                order.Add(child);
            }
        }

        Visit(root);
        return order;
    }

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => "SIG" + signal.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it is gone.</summary>
    internal static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Both streams' output, decoded as it comes, within one byte cap; past it the call is stopped.</summary>
    private sealed class OutputCollector(long maxBytes, Func<SandboxOutput, ValueTask>? onOutput)
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();
        private readonly Lock _gate = new();
        private long _kept;
        private long _total;

        public bool Truncated { get; private set; }

        public long TotalBytes => Interlocked.Read(ref _total);

        public string Text(SandboxStream stream) => (stream == SandboxStream.Stdout ? _stdout : _stderr).ToString();

        public async Task PumpAsync(Stream source, SandboxStream stream, CancellationTokenSource stop)
        {
            var decoder = Encoding.UTF8.GetDecoder();
            var bytes = new byte[16 * 1024];
            var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
            while (true)
            {
                int read;
                try
                {
                    read = await source.ReadAsync(bytes, CancellationToken.None).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    return;
                }

                if (read == 0)
                {
                    return;
                }

                Interlocked.Add(ref _total, read);
                int keep;
                lock (_gate)
                {
                    keep = (int)Math.Min(read, Math.Max(0, maxBytes - _kept));
                    _kept += keep;
                    if (keep < read && !Truncated)
                    {
                        Truncated = true;
                        stop.Cancel();
                    }
                }

                if (keep == 0)
                {
                    continue; // drained so the program is not blocked on a full pipe while it is being stopped
                }

                var count = decoder.GetChars(bytes, 0, keep, chars, 0, flush: false);
                if (count == 0)
                {
                    continue;
                }

                var text = new string(chars, 0, count);
                lock (_gate)
                {
                    (stream == SandboxStream.Stdout ? _stdout : _stderr).Append(text);
                }

                if (onOutput is not null)
                {
                    try
                    {
                        await onOutput(new SandboxOutput(stream, text)).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // The caller stopped listening; the output is still kept.
                    }
                }
            }
        }
    }
}
