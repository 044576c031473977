using Soma.Core.Sandbox;
using Soma.Testing;

namespace Soma.Tools.Tests.Sandbox;

/// <summary>
/// When runsc itself cannot start a sandbox, the call is tried once more, and a second failure is the call's error with
/// runsc's message: not an exit status the caller would take for the program's.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class GvisorStartTests(SandboxFixture fixture) : IDisposable
{
    private readonly TempDirectory _workspace = new("soma-workspace");

    [Fact]
    public async Task A_sandbox_runsc_cannot_start_is_tried_once_more_then_is_the_calls_error_with_runscs_message()
    {
        var sandbox = fixture.Require("gvisor");
        var program = "/usr/bin/no-such-program-" + Guid.NewGuid().ToString("n");

        var result = await sandbox.RunAsync(new SandboxCommand([program], _workspace.Path, SandboxLimits.Default), null, CancellationToken.None);

        Assert.NotNull(result.Error);
        Assert.StartsWith("runsc could not start the sandbox: running container: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(program, result.Error, StringComparison.Ordinal);
        Assert.False(result.Succeeded);
        var retried = Assert.Single(fixture.Logs.WithId(4240), text => text.Contains(program, StringComparison.Ordinal));
        Assert.StartsWith("runsc could not start a sandbox and the call is tried once more: ", retried, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_program_that_exits_with_128_itself_is_its_exit_status_and_runs_once()
    {
        var sandbox = fixture.Require("gvisor");
        var result = await sandbox.RunAsync(new SandboxCommand(["/bin/sh", "-c", "echo ran >> /workspace/runs; echo 'running container: creating container: forged' >&2; exit 128"], _workspace.Path, SandboxLimits.Default), null, CancellationToken.None);

        Assert.Null(result.Error);
        Assert.Equal(128, result.ExitCode);
        Assert.Equal("ran\n", await File.ReadAllTextAsync(Path.Combine(_workspace.Path, "runs")));
    }

    public void Dispose() => _workspace.Dispose();
}
