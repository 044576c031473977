using System.Diagnostics;
using System.Text;

namespace Soma.Testing;

/// <summary>
/// An engine's server process started from the machine's binaries (redis-server, nats-server): its output kept for error
/// messages, killed on dispose. The engine fixtures say how to start it and when it is ready.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private ServerProcess(Process process, StringBuilder output)
    {
        _process = process;
        _output = output;
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="binary"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>, appending its output to <paramref name="output"/>.</summary>
    public static ServerProcess Start(string binary, IEnumerable<string> arguments, string workingDirectory, StringBuilder output)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {binary}.");
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServerProcess(process, output);
    }

    /// <summary>Waits for the process to exit by itself.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>SIGKILL, as a crash would, and waits for the exit.</summary>
    public async Task KillAsync()
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
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>The first binary of that name on PATH or in the usual places, or null.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Append("/usr/sbin")
            .Append("/usr/local/bin")
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
