using Microsoft.Extensions.Options;
using Soma.Core.Sandbox;
using Soma.Testing;
using Soma.Tools.Sandbox;

namespace Soma.Tools.Tests.Sandbox;

/// <summary>
/// The bubblewrap profile keeps launchers parked in pids cgroups of their own, so a call does not wait for the kernel
/// to move its first process into a cgroup. A call uses a parked launcher under its own process limit, and a profile
/// that is disposed leaves neither launchers nor groups behind.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ParkedLaunchersTests(SandboxFixture fixture) : IDisposable
{
    private readonly TempDirectory _workspace = new("soma-workspace");

    [Fact]
    public async Task A_call_takes_a_parked_launcher_and_another_is_parked_for_the_next()
    {
        using var sandbox = Profile(parked: 1);
        var first = await WaitForParkedAsync(sandbox, 1);

        var result = await sandbox.RunAsync(new SandboxCommand(["/bin/sh", "-c", "echo hello from $(cat /proc/sys/kernel/hostname)"], _workspace.Path, SandboxLimits.Default), null, CancellationToken.None);

        Assert.Null(result.Error);
        Assert.Equal("hello from sandbox\n", result.Stdout);
        var next = await WaitForParkedAsync(sandbox, 1);
        Assert.DoesNotContain(first.Single(), next);
        Assert.False(Directory.Exists($"/proc/{first.Single()}"), "the launcher the call took is gone with the call");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task A_call_gets_its_own_process_limit_whether_launchers_are_parked_or_not(int parked)
    {
        using var sandbox = Profile(parked);
        Assert.True(sandbox.Availability.Available, sandbox.Availability.Problem);
        await WaitForParkedAsync(sandbox, parked);
        var result = await sandbox.RunAsync(new SandboxCommand(["/usr/bin/python3", "-c", EscapeCorpusTests.ForkBomb], _workspace.Path, new SandboxLimits(TimeSpan.FromSeconds(5), 1 << 16) { Processes = 8 }), null, CancellationToken.None);

        Assert.Null(result.Error);
        var refused = System.Text.RegularExpressions.Regex.Match(result.Stdout, @"fork refused after (\d+)");
        Assert.True(refused.Success, result.Stdout);
        Assert.InRange(int.Parse(refused.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 7);
    }

    [Fact]
    public async Task A_disposed_profile_leaves_no_parked_launcher_and_no_group()
    {
        var sandbox = Profile(parked: 2);
        var parked = await WaitForParkedAsync(sandbox, 2);
        var groups = new List<string>();
        foreach (var pid in parked)
        {
            groups.Add(await GroupOfAsync(pid));
        }

        sandbox.Dispose();

        Assert.All(parked, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"parked launcher {pid} outlived its profile"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (groups.Any(Directory.Exists) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.DoesNotContain(groups, Directory.Exists);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(17)]
    public void A_parked_count_out_of_range_is_refused_at_start(int parked)
    {
        var result = new SandboxOptionsValidator().Validate(null, new SandboxOptions { ParkedLaunchers = parked });
        Assert.True(result.Failed);
        Assert.Contains("Soma:Sandbox:ParkedLaunchers must be between 0 and 16", result.FailureMessage, StringComparison.Ordinal);
    }

    public void Dispose() => _workspace.Dispose();

    private BubblewrapSandbox Profile(int parked) => new(Options.Create(new SandboxOptions { ParkedLaunchers = parked }), fixture.Host, fixture.Egress);

    /// <summary>The pids cgroup folder a parked launcher has moved itself into.</summary>
    private async Task<string> GroupOfAsync(int pid)
    {
        var root = fixture.Host.Cgroup.Root;
        Assert.NotNull(root);
        var mount = Path.GetDirectoryName(root)!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var lines = await File.ReadAllLinesAsync($"/proc/{pid}/cgroup");
            var line = lines.FirstOrDefault(l => l.Contains(":pids:", StringComparison.Ordinal)) ?? lines.First(l => l.StartsWith("0::", StringComparison.Ordinal));
            var group = mount + line[(line.IndexOf(":/", StringComparison.Ordinal) + 1)..];
            if (group.StartsWith(root + "/call-", StringComparison.Ordinal))
            {
                return group;
            }

            Assert.True(DateTime.UtcNow < deadline, $"parked launcher {pid} did not move into a call's group (it is in {group})");
            await Task.Delay(10);
        }
    }

    private static async Task<IReadOnlyCollection<int>> WaitForParkedAsync(BubblewrapSandbox sandbox, int count)
    {
        Assert.True(sandbox.Availability.Available, sandbox.Availability.Problem);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (sandbox.ParkedProcessIds.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} launchers were not parked within 10 s ({sandbox.ParkedProcessIds.Count} are)");
            await Task.Delay(10);
        }

        return sandbox.ParkedProcessIds;
    }
}
