using System.Globalization;

namespace Soma.Tools.Sandbox;

/// <summary>
/// A pids cgroup per sandboxed call, where this process may create one (cgroup v2 with the pids controller, or the
/// v1 pids hierarchy): it bounds how many processes a call can have at once whoever the user is (RLIMIT_NPROC does
/// not bind root). The sandbox's first process moves itself in before anything else runs.
/// </summary>
internal sealed class PidsCgroup
{
    private const string Parent = "soma-sandbox";
    private readonly string? _root;

    private PidsCgroup(string? root) => _root = root;

    /// <summary>Where calls' cgroups are made, or null when none can be.</summary>
    public string? Root => _root;

    /// <summary>Finds a writable pids hierarchy and clears calls' groups left by a killed server.</summary>
    public static PidsCgroup Detect()
    {
        foreach (var candidate in new[] { "/sys/fs/cgroup/pids", "/sys/fs/cgroup" })
        {
            try
            {
                var v2 = candidate == "/sys/fs/cgroup";
                if (v2 && !(File.Exists(Path.Combine(candidate, "cgroup.controllers")) && File.ReadAllText(Path.Combine(candidate, "cgroup.controllers")).Contains("pids", StringComparison.Ordinal)))
                {
                    continue;
                }

                if (!v2 && !File.Exists(Path.Combine(candidate, "pids.max")) && !Directory.Exists(candidate))
                {
                    continue;
                }

                var root = Path.Combine(candidate, Parent);
                Directory.CreateDirectory(root);
                if (v2)
                {
                    File.WriteAllText(Path.Combine(candidate, "cgroup.subtree_control"), "+pids");
                    File.WriteAllText(Path.Combine(root, "cgroup.subtree_control"), "+pids");
                }

                var probe = Path.Combine(root, "probe-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(probe);
                var usable = File.Exists(Path.Combine(probe, "pids.max"));
                Directory.Delete(probe);
                if (!usable)
                {
                    continue;
                }

                // Groups left by a server that died (kill -9): only those of processes that are gone, since other
                // servers on this machine share the root and their calls' groups are in use (or about to be).
                foreach (var stale in Directory.EnumerateDirectories(root, "call-*"))
                {
                    if (SandboxHost.Owner(stale, "call-") is not { } owner || SandboxHost.IsGone(owner))
                    {
                        TryRemove(stale);
                    }
                }

                return new PidsCgroup(root);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not writable here: try the next, or go without.
            }
        }

        return new PidsCgroup(null);
    }

    /// <summary>Makes a call's group holding at most <paramref name="processes"/>; returns its <c>cgroup.procs</c> path, or null.</summary>
    public string? Create(string callId, int processes)
    {
        if (_root is null)
        {
            return null;
        }

        try
        {
            var group = Path.Combine(_root, $"call-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{callId}");
            Directory.CreateDirectory(group);
            File.WriteAllText(Path.Combine(group, "pids.max"), processes.ToString(CultureInfo.InvariantCulture));
            return Path.Combine(group, "cgroup.procs");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Kills what is left in a call's group and waits (up to <paramref name="limit"/>) until it is empty. bubblewrap's
    /// outer process exits as soon as the program's exit code reaches it, while the namespace's first process may still
    /// be tearing down the rest (a daemon the program left behind); the call's result waits for that, so nothing of a
    /// call is running when it returns.
    /// </summary>
    public static async Task DrainAsync(string? procs, TimeSpan limit)
    {
        if (procs is null)
        {
            return;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var round = 0; ; round++)
        {
            string[] left;
            try
            {
                left = File.ReadAllLines(procs);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return;
            }

            if (left.Length == 0 || clock.Elapsed >= limit)
            {
                return;
            }

            foreach (var line in left)
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    SandboxProcess.Signal(pid, 9);
                }
            }

            // Usually only the namespace's first process is left, a moment from its own exit: look again soon, then less often.
            await Task.Delay(TimeSpan.FromMilliseconds(round < 10 ? 1 : 5), TimeProvider.System).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes a call's group once its processes are gone, off the call's path: removing a group that held processes
    /// takes the kernel a millisecond or more, and it frees the group only a moment after its last process is reaped,
    /// so a few tries are made in the background.
    /// </summary>
    public static void Remove(string? procs)
    {
        if (procs is null)
        {
            return;
        }

        var group = Path.GetDirectoryName(procs)!;
        _ = Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 200 && Directory.Exists(group); attempt++)
            {
                if (TryRemove(group))
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System).ConfigureAwait(false);
            }
        });
    }

    private static bool TryRemove(string group)
    {
        try
        {
            Directory.Delete(group);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
