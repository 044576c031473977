using System.Diagnostics;
using System.Text.RegularExpressions;
using Soma.Testing;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// A workload's container run as a local process: <c>dotnet soma.dll</c> in place of the image's <c>/app/soma</c>, with
/// the container's arguments and only the container's environment (plus what the dotnet host needs to start: PATH,
/// HOME, DOTNET_ROOT), as a container sees only its image's and its pod's variables. Output is kept for failures.
/// </summary>
internal sealed partial class RehearsalProcess : IAsyncDisposable
{
    private static readonly string[] HostVariables = ["PATH", "HOME", "DOTNET_ROOT", "TMPDIR"];
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<string> _stdout = [];
    private readonly Lock _gate = new();

    private RehearsalProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => Append(e.Data, stdout: false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static RehearsalProcess Start(string name, IEnumerable<string> args, IEnumerable<KeyValuePair<string, string>> environment, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(SomaProcess.SomaDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var host = HostVariables.Select(v => (Key: v, Value: System.Environment.GetEnvironmentVariable(v))).Where(v => v.Value is not null).ToList();
        start.Environment.Clear();
        foreach (var (key, value) in host)
        {
            start.Environment[key] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new RehearsalProcess(name, Process.Start(start) ?? throw new InvalidOperationException($"dotnet did not start for {name}"));
    }

    /// <summary>Waits for the exit, killing the process when <paramref name="timeout"/> passes first.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0} s.\n{Tail()}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>What the process printed on stdout.</summary>
    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _stdout);
            }
        }
    }

    /// <summary>The last <paramref name="count"/> lines the process printed (stdout and stderr, in arrival order).</summary>
    public string Tail(int count = 40)
    {
        lock (_gate)
        {
            return $"----- last {Math.Min(count, _lines.Count)} of {_lines.Count} lines of {Name}{(_process.HasExited ? $" (exited with {_process.ExitCode})" : "")}:\n"
                + Jwt().Replace(string.Join('\n', _lines.TakeLast(count)), "<token>");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Append(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Add(line);
            if (stdout)
            {
                _stdout.Add(line);
            }
        }
    }

    // Tokens a process prints (a first start's admin token, 'soma token issue') stay out of test logs.
    [GeneratedRegex(@"eyJ[\w-]+\.[\w-]+\.[\w-]*")]
    private static partial Regex Jwt();
}
