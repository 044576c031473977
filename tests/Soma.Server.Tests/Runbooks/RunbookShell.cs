using System.Diagnostics;
using Soma.Testing;

namespace Soma.Server.Tests.Runbooks;

/// <summary>Runs a runbook block as an operator's shell would: bash with <c>pipefail</c>, standard output and error together.</summary>
internal static class RunbookShell
{
    /// <summary>Writes a <c>soma</c> script running the built <c>soma.dll</c> into <c>{folder}/bin</c>, and returns that folder.</summary>
    public static string SomaOnPath(string folder)
    {
        var bin = System.IO.Path.Combine(folder, "bin");
        Directory.CreateDirectory(bin);
        var wrapper = System.IO.Path.Combine(bin, "soma");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet '{SomaProcess.SomaDll}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    /// <summary>PATH with <paramref name="bin"/> first.</summary>
    public static string Path(string bin) => $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";

    public static async Task<(int Code, string Output)> RunAsync(string code, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var arg in (string[])["-o", "pipefail", "-c", code])
        {
            start.ArgumentList.Add(arg);
        }

        // Only the state's configuration: a developer's own SOMA_* and SOMA__* variables must not leak in.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SOMA_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after 60 s\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
