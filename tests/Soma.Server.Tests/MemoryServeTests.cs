using System.Net;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary><c>soma serve</c> with the memory roles and memory settings.</summary>
public sealed class MemoryServeTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("soma-serve-memory-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task The_memory_and_sync_roles_start_a_server_that_answers_the_memory_protocol_health()
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var soma = SomaProcess.Start(["serve", "--data", Path.Combine(_work.FullName, "d"), "--urls", url, "--roles", "memory,sync"]);
        await soma.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(0, await soma.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task An_unknown_role_is_refused_naming_the_known_ones()
    {
        var (exitCode, _, stderr) = await SomaProcess.RunAsync(["serve", "--data", Path.Combine(_work.FullName, "d"), "--roles", "memory,librarian"]);
        Assert.Equal(2, exitCode);
        Assert.Contains("librarian", stderr, StringComparison.Ordinal);
        foreach (var known in new[] { "gateway", "worker", "memory", "sync" })
        {
            Assert.Contains(known, stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_zero_outbox_cap_stops_the_start_naming_the_key()
    {
        var data = Path.Combine(_work.FullName, "d");
        var (exitCode, _, stderr) = await SomaProcess.RunAsync(
            ["serve", "--data", data, "--urls", $"http://127.0.0.1:{FreePort.Next()}"],
            new Dictionary<string, string> { ["SOMA__MEMORY__OUTBOXCAPPERTENANT"] = "0" });
        Assert.Equal(2, exitCode);
        Assert.Contains("Soma:Memory:OutboxCapPerTenant", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "nothing is written when the configuration is wrong");
    }
}
