using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Soma.Server.Dev;
using Soma.Testing;

namespace Soma.EndToEnd.Tests;

/// <summary>
/// A chat turn survives <c>kill -9</c> of its server in the middle of a model call: after a restart it resumes from the
/// last checkpoint, so the model round and the tool that were checkpointed are not done again.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class TurnResumeTests
{
    private const string Answer = "It is time to resume.";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_turn_killed_during_its_second_model_call_resumes_without_repeating_the_first_round_or_the_tool()
    {
        using var data = new TempDirectory("soma-e2e-turn");
        await using var model = await DevModelServer.StartAsync(new DevModelServerOptions());
        model.Enqueue(ScriptedResponse.Tools(new ScriptedToolCall("call_time", "time__now", "{}")));
        model.Enqueue(ScriptedResponse.Text("never sent") with { FirstByteDelay = TimeSpan.FromSeconds(30) });

        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = new Dictionary<string, string>
        {
            ["SOMA__ORCHESTRATION__LEASESECONDS"] = "2",
            ["SOMA__ORCHESTRATION__POLLMILLISECONDS"] = "50",
            ["SOMA__MODELS__ENDPOINTS__DEV__ENDPOINT"] = model.BaseAddress.ToString(),
            ["SOMA__MODELS__ENDPOINTS__DEV__MODEL"] = "soma-dev",
        };
        string[] serve = ["serve", "--data", data.Path, "--urls", url];

        var server = SomaProcess.Start(serve, environment);
        try
        {
            await server.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
            var (code, token, error) = await SomaProcess.RunAsync(["token", "issue", "--tenant", "e2e", "--sub", "tester", "--data", data.Path], environment);
            Assert.True(code == 0, error);
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());

            var created = await client.PostAsJsonAsync("/v1/sessions", new { title = "crash" });
            var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var posted = await client.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = "What time is it?" });
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            var accepted = await posted.Content.ReadFromJsonAsync<JsonElement>();
            var runId = accepted.GetProperty("run_id").GetGuid();
            var replyId = accepted.GetProperty("reply_id").GetGuid();

            // Round 1 (the tool call) and the tool are checkpointed; round 2 is waiting for its first byte.
            await WaitUntilAsync(() => Task.FromResult(model.Requests.Count >= 2), "the second model call", server);
            await server.KillHardAsync();
            await server.DisposeAsync();

            model.Enqueue(ScriptedResponse.Text(Answer));
            server = SomaProcess.Start(serve, environment);
            await server.WaitForOutputAsync("listening on", TimeSpan.FromSeconds(60));
            await WaitUntilAsync(async () => (await RunStateAsync(client, runId)) is "succeeded" or "failed", "the resumed turn to end", server);
            Assert.Equal("succeeded", await RunStateAsync(client, runId));

            var requests = model.Requests;
            Assert.Equal(3, requests.Count);
            Assert.Equal("user", requests[0].LastMessageRole);
            Assert.Equal("tool", requests[1].LastMessageRole);
            Assert.Equal("tool", requests[2].LastMessageRole);
            Assert.Equal(requests[1].MessageCount, requests[2].MessageCount);

            var messages = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{session}/messages");
            var reply = messages.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("id").GetGuid() == replyId);
            Assert.Equal(Answer, reply.GetProperty("content").GetString());

            Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
            var types = await SessionEventTypesAsync(data.Path);
            Assert.Equal(1, types.Count(t => t == "tool.requested"));
            Assert.Equal(1, types.Count(t => t == "tool.succeeded"));
            Assert.Equal(1, types.Count(t => t == "conversation.assistant_final"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<string?> RunStateAsync(HttpClient client, Guid runId)
    {
        try
        {
            return (await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}")).GetProperty("state").GetString();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, SomaProcess server)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Patience.TotalSeconds:0} s for {what}.\nstdout:\n{server.Stdout}\nstderr:\n{server.Stderr}");
            await Task.Delay(100);
        }
    }

    private static async Task<List<string>> SessionEventTypesAsync(string dataDir)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "soma.db")};Mode=ReadOnly;Pooling=false");
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT type FROM session_events WHERE tenant_id = 'e2e' ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync();
        var types = new List<string>();
        while (await reader.ReadAsync())
        {
            types.Add(reader.GetString(0));
        }

        return types;
    }
}
