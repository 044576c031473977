using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Soma.Contracts.Identity;
using Soma.Core.Sandbox;

namespace Soma.Tools.Sandbox;

/// <summary>
/// bubblewrap launchers started ahead of calls, each already inside a pids cgroup of its own. Moving a process into a
/// cgroup waits for an RCU grace period (5–7 ms on this project's machines, with cgroup v1), which a call would
/// otherwise wait for before its program starts. A parked launcher (<c>soma-sandbox-exec --park</c>) has made that move
/// and waits for its call's program line on standard input; a call takes one, sets its own process limit on the group
/// and sends the line, and a new launcher is parked in the background. When none is parked (a burst of calls), a call
/// parks its own and uses it at once. Parked launchers die with the server like the sandboxes they become.
/// </summary>
internal sealed class ParkedLaunchers : IDisposable
{
    // Once its parent is known to be the server (ServerBoundLaunch, $PPID): the move into the call's group ($1), then the
    // launcher ($3) waits, holding the seccomp program ($2) on fd 9 for bubblewrap.
    private const string Script = "echo $$ > \"$1\" || exit 125; exec \"$3\" --park \"$PPID\" 9<\"$2\"";
    private readonly SandboxHost _host;
    private readonly int _size;
    private readonly int _processes;
    private readonly ConcurrentQueue<Launcher> _ready = new();
    private int _parked;
    private volatile bool _disposed;

    /// <summary>Keeps <paramref name="size"/> launchers parked, each group holding at most <paramref name="processes"/> until a call sets its own.</summary>
    public ParkedLaunchers(SandboxHost host, int size, int processes)
    {
        _host = host;
        _size = size;
        _processes = processes;
    }

    /// <summary>Whether launchers are parked here (a pids cgroup is writable and parking is on).</summary>
    public bool Enabled => _size > 0 && _host.Cgroup.Root is not null;

    /// <summary>The processes parked now (no call's).</summary>
    public IReadOnlyCollection<int> ProcessIds => [.. _ready.Select(l => l.Process.Id)];

    /// <summary>
    /// A launcher in a fresh group limited to <paramref name="processes"/>: a parked one when there is one, else one
    /// started now; null when no group can be made. The caller owns it.
    /// </summary>
    public async Task<Launcher?> TakeAsync(int processes)
    {
        while (_ready.TryDequeue(out var parked))
        {
            Interlocked.Decrement(ref _parked);
            Refill();
            if (!parked.Process.HasExited && parked.Limit(processes))
            {
                return parked;
            }

            await parked.DisposeAsync().ConfigureAwait(false);
        }

        Refill();
        return await StartAsync(processes).ConfigureAwait(false);
    }

    /// <summary>Parks launchers up to the pool's size, in the background.</summary>
    public void Refill()
    {
        while (Enabled && !_disposed)
        {
            var parked = Volatile.Read(ref _parked);
            if (parked >= _size)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _parked, parked + 1, parked) == parked)
            {
                _ = ParkAsync();
            }
        }
    }

    private async Task ParkAsync()
    {
        var launcher = await StartAsync(_processes).ConfigureAwait(false);
        if (launcher is null || _disposed)
        {
            Interlocked.Decrement(ref _parked);
            if (launcher is not null)
            {
                await launcher.DisposeAsync().ConfigureAwait(false);
            }

            return;
        }

        _ready.Enqueue(launcher);
        if (_disposed && _ready.TryDequeue(out var late))
        {
            await late.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<Launcher?> StartAsync(int processes)
    {
        var procs = _host.Cgroup.Create(InstanceName.New(), processes);
        if (procs is null)
        {
            return null;
        }

        try
        {
            var process = await SandboxProcess.StartAsync(ServerBoundLaunch.Create(Script, [procs, _host.SeccompFile, _host.Launcher])).ConfigureAwait(false);
            return new Launcher(process, procs);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            PidsCgroup.Remove(procs);
            return null;
        }
    }

    /// <summary>Stops the parked launchers and removes their groups.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_ready.TryDequeue(out var parked))
        {
            parked.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The program line as a parked launcher reads it: its byte count, a newline, each argument ended by NUL.</summary>
    public static byte[] ProgramLine(SandboxLaunch launch)
    {
        var body = new StringBuilder();
        foreach (var argument in launch.Arguments.Prepend(launch.FileName))
        {
            if (argument.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException("A sandboxed command's arguments cannot hold a NUL character.", nameof(launch));
            }

            body.Append(argument).Append('\0');
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        return [.. Encoding.ASCII.GetBytes(bytes.Length.ToString(CultureInfo.InvariantCulture) + "\n"), .. bytes];
    }

    /// <summary>A started launcher and its group (<c>cgroup.procs</c>).</summary>
    internal sealed class Launcher(Process process, string procs) : IAsyncDisposable
    {
        public Process Process { get; } = process;

        public string Procs { get; } = procs;

        /// <summary>Sets the group's process limit; false when the group is gone.</summary>
        public bool Limit(int processes)
        {
            try
            {
                File.WriteAllText(Path.Combine(Path.GetDirectoryName(Procs)!, "pids.max"), processes.ToString(CultureInfo.InvariantCulture));
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        /// <summary>Kills an unused launcher and removes its group.</summary>
        public async ValueTask DisposeAsync()
        {
            try
            {
                Process.Kill();
                await Process.WaitForExitAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
            {
                // It had exited.
            }

            Process.Dispose();
            PidsCgroup.Remove(Procs);
        }
    }
}
