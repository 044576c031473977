using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Soma.Server.Dev;
using Soma.Testing;

namespace Soma.EndToEnd.Tests;

/// <summary>
/// <c>kill -9</c> of the server while 20 sandboxed <c>shell.run</c> calls are running leaves no process behind: every
/// sandbox dies with the server (checked from <c>/proc</c>), five times over.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SandboxKillTests
{
    private const int Calls = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Killing_the_server_during_20_sandboxed_calls_leaves_no_process_five_times_over()
    {
        for (var round = 1; round <= 5; round++)
        {
            var marker = $"soma-kill-{round}-{Guid.NewGuid():N}";
            using var data = new TempDirectory("soma-e2e-sandbox");
            await using var model = await DevModelServer.StartAsync(new DevModelServerOptions());
            model.Enqueue(ScriptedResponse.Tools([.. Enumerable.Range(0, Calls).Select(i =>
                new ScriptedToolCall($"call_{i}", "shell__run", JsonSerializer.Serialize(new { command = $"sleep 3600 # {marker}" })))]));

            var url = $"http://127.0.0.1:{FreePort.Next()}";
            var environment = new Dictionary<string, string>
            {
                ["SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT"] = model.BaseAddress.ToString(),
                ["SOMA__MODELS__ENDPOINTS__DEV__MODEL"] = "soma-dev",
                ["SOMA__SANDBOX__TIMEOUTSECONDS"] = "600",
            };
            var server = SomaProcess.Start(["serve", "--data", data.Path, "--urls", url], environment);
            try
            {
                await server.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
                var (code, token, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "e2e", "--sub", "ops", "--roles", "admin", "--data", data.Path], environment);
                Assert.True(code == 0, error);
                using var client = new HttpClient { BaseAddress = new Uri(url) };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
                var created = await client.PostAsJsonAsync("/v1/sessions", new { title = "kill" });
                var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
                var posted = await client.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = "Run them." });
                Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);

                // 20 sandboxes, each with its sleep running (the sleep's shell carries the marker).
                await WaitUntilAsync(() => Sleepers(marker) >= Calls, $"{Calls} sandboxed sleeps (round {round})", server);
                var serverId = server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (Directory.Exists("/sys/fs/cgroup/pids/soma-sandbox") || Directory.Exists("/sys/fs/cgroup/soma-sandbox"))
                {
                    // Where a pids cgroup is writable the server keeps launchers parked for its next calls.
                    await WaitUntilAsync(() => Parked(serverId).Count > 0, $"a launcher parked for the next call (round {round})", server);
                }

                await server.KillHardAsync();
                await WaitUntilAsync(() => Processes(marker).Count == 0, $"every sandbox process to die with the server (round {round}); left: {Describe(Processes(marker))}", server);
                await WaitUntilAsync(() => Parked(serverId).Count == 0, $"the launchers parked for the next calls to die with the server (round {round}); left: {Describe(Parked(serverId))}", server);
            }
            finally
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>The launchers the server parked for its next calls (<c>soma-sandbox-exec --park PID</c>, or the shell before it).</summary>
    private static List<(int Pid, string CommandLine)> Parked(string serverId) =>
        [.. Processes("--park").Where(p => p.CommandLine.Split(' ').Contains(serverId, StringComparer.Ordinal))];

    private static int Sleepers(string marker) => Processes(marker).Count(p => p.CommandLine.StartsWith("/bin/sh -c sleep 3600", StringComparison.Ordinal));

    private static string Describe(List<(int Pid, string CommandLine)> processes) => string.Join("; ", processes.Select(p => $"{p.Pid}: {p.CommandLine[..Math.Min(80, p.CommandLine.Length)]}"));

    /// <summary>Every process on the host whose command line holds <paramref name="marker"/> (bwrap, setpriv, the shells).</summary>
    private static List<(int Pid, string CommandLine)> Processes(string marker)
    {
        var found = new List<(int, string)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Trim();
                if (commandLine.Contains(marker, StringComparison.Ordinal) && File.ReadAllText(Path.Combine(directory, "stat")).Split(' ')[2] != "Z")
                {
                    found.Add((pid, commandLine));
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, SomaProcess server)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Patience.TotalSeconds:0} s for {what}.\nstdout:\n{server.Stdout}\nstderr:\n{server.Stderr}");
            await Task.Delay(100);
        }
    }
}
