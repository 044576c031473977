using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary><c>soma runs …</c> against a real server process, with a token minted from the local data dir's key.</summary>
public sealed class RunsCommandTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("soma-runs-cli");
    private readonly string _url = $"http://127.0.0.1:{FreePort.Next()}";
    private SomaProcess _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = SomaProcess.Start(["serve", "--data", _data.Path, "--urls", _url], new Dictionary<string, string> { ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "20" });
        await _server.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task A_waiting_run_is_listed_shown_resumed_and_finishes()
    {
        var runId = await StartApprovalAsync("acme");
        await WaitForAsync(runId, "waiting");

        var (code, list, _) = await Soma("runs", "list", "--tenant", "acme", "--state", "waiting");
        Assert.Equal(0, code);
        Assert.Contains(runId, list, StringComparison.Ordinal);
        Assert.Contains("demo.approval v1", list, StringComparison.Ordinal);

        var (showCode, show, _) = await Soma("runs", "show", runId, "--tenant", "acme");
        Assert.Equal(0, showCode);
        Assert.Contains("waiting for approval", show, StringComparison.Ordinal);
        Assert.Contains("prepare", show, StringComparison.Ordinal);

        var (resumeCode, resumed, error) = await Soma("runs", "resume", runId, "--tenant", "acme", "--input", """{"approved_by":"bob"}""");
        Assert.True(resumeCode == 0, error);
        Assert.Contains("resumed", resumed, StringComparison.Ordinal);
        await WaitForAsync(runId, "succeeded");

        var (jsonCode, json, _) = await Soma("runs", "show", runId, "--tenant", "acme", "--json");
        Assert.Equal(0, jsonCode);
        var shown = JsonDocument.Parse(json).RootElement;
        Assert.Equal("bob", shown.GetProperty("run").GetProperty("output").GetProperty("finish").GetProperty("decision").GetProperty("approved_by").GetString());
        Assert.Equal(3, shown.GetProperty("steps").GetArrayLength());
    }

    [Fact]
    public async Task Bad_ids_bad_input_wrong_states_and_other_tenants_fail_with_messages_and_exit_codes()
    {
        var runId = await StartApprovalAsync("acme");
        await WaitForAsync(runId, "waiting");

        var (badId, _, badIdError) = await Soma("runs", "show", "not-a-run", "--tenant", "acme");
        Assert.Equal(2, badId);
        Assert.Contains("not a run id", badIdError, StringComparison.Ordinal);

        var (badInput, _, badInputError) = await Soma("runs", "resume", runId, "--tenant", "acme", "--input", "{nope");
        Assert.Equal(2, badInput);
        Assert.Contains("--input is not JSON", badInputError, StringComparison.Ordinal);

        var (otherTenant, _, otherError) = await Soma("runs", "cancel", runId, "--tenant", "globex");
        Assert.Equal(1, otherTenant);
        Assert.Contains("404", otherError, StringComparison.Ordinal);

        Assert.Equal(0, (await Soma("runs", "cancel", runId, "--tenant", "acme")).ExitCode);
        var (again, _, againError) = await Soma("runs", "cancel", runId, "--tenant", "acme");
        Assert.Equal(1, again);
        Assert.Contains("409", againError, StringComparison.Ordinal);

        var (unreachable, _, unreachableError) = await SomaProcess.RunAsync(["runs", "list", "--url", $"http://127.0.0.1:{FreePort.Next()}", "--token", "x"]);
        Assert.Equal(1, unreachable);
        Assert.Contains("cannot reach", unreachableError, StringComparison.Ordinal);

        var (usage, _, usageError) = await SomaProcess.RunAsync(["runs", "list", "--limit", "many"]);
        Assert.Equal(2, usage);
        Assert.Contains("--limit", usageError, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> Soma(params string[] args) =>
        SomaProcess.RunAsync([.. args, "--url", _url, "--data", _data.Path]);

    private async Task<string> StartApprovalAsync(string tenant)
    {
        var (code, token, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", tenant, "--sub", "tester", "--data", _data.Path]);
        Assert.True(code == 0, error);
        using var http = new HttpClient { BaseAddress = new Uri(_url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        var response = await http.PostAsJsonAsync("/v1/runs", new { workflow = "demo.approval" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!;
    }

    private async Task WaitForAsync(string runId, string state)
    {
        for (var i = 0; i < 300; i++)
        {
            var (_, json, _) = await Soma("runs", "show", runId, "--tenant", "acme", "--json");
            if (json.Length > 0 && JsonDocument.Parse(json).RootElement.GetProperty("run").GetProperty("state").GetString() == state)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"run {runId} never became {state}");
    }
}
