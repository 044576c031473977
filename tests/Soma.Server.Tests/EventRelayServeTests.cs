using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Contracts.Schemas;
using Soma.Testing;

namespace Soma.Server.Tests;

/// <summary>One <c>soma serve</c> on the embedded default: events leave the outbox, roles decide what is served, and the operator verbs.</summary>
public sealed class EventRelayServeTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("soma-relay-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task Ten_seconds_after_a_turn_nothing_is_pending_the_outbox_is_normal_and_events_tail_prints_valid_events()
    {
        var data = Path.Combine(_work.FullName, "data");
        var port = SomaProcess.FreePort();
        await using var soma = SomaProcess.Start(["serve", "--data", data, "--urls", $"http://127.0.0.1:{port}"]);
        var output = await soma.WaitForOutputAsync("Authorization: Bearer", Patience);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken(output));

        var created = await http.PostAsJsonAsync("/v1/sessions", new { title = "relay" });
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = "hello" })).StatusCode);

        // No model is configured: the turn ends with conversation.error — a whole turn's events all the same.
        await EventuallyAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/v1/runs?limit=5")).GetProperty("items").EnumerateArray()
            .Any(r => r.GetProperty("state").GetString() is "succeeded" or "failed"), "the turn to end");
        var ended = DateTime.UtcNow;
        JsonElement outbox = default;
        await EventuallyAsync(async () =>
        {
            outbox = Component(await http.GetFromJsonAsync<JsonElement>("/v1/health"), "outbox");
            return outbox.GetProperty("details").GetProperty("pending").GetInt64() == 0;
        }, "the outbox to be empty");
        Assert.True(DateTime.UtcNow - ended < TimeSpan.FromSeconds(10), $"the outbox emptied {(DateTime.UtcNow - ended).TotalSeconds:0.0} s after the turn (aim: 10 s)");
        Assert.Equal("normal", outbox.GetProperty("status").GetString());
        Assert.Equal(0, outbox.GetProperty("details").GetProperty("dead_lettered").GetInt64());

        // The embedded default tails the outbox's event log: every line an event valid against its schema.
        var (code, stdout, stderr) = await SomaProcess.RunAsync(["events", "tail", "--data", data, "--since", "1h", "--no-follow"]);
        Assert.True(code == 0, stderr);
        var validator = new EventValidator(SchemaRegistry.Default);
        var events = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(events, e => Assert.True(validator.Validate(e).IsValid, e.GetRawText()));
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "conversation.user_message");
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "run.started");

        var (typed, typedOut, _) = await SomaProcess.RunAsync(["events", "tail", "--data", data, "--since", "1h", "--no-follow", "--type", "conversation.user_message", "--tenant", "default"]);
        Assert.Equal(0, typed);
        var only = typedOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(only);
        Assert.Contains("\"hello\"", only[0], StringComparison.Ordinal);

        var (other, otherOut, _) = await SomaProcess.RunAsync(["events", "tail", "--data", data, "--since", "1h", "--no-follow", "--tenant", "nobody"]);
        Assert.Equal(0, other);
        Assert.Equal(string.Empty, otherOut.Trim());
    }

    [Theory]
    [InlineData("--since", "5 minutes", "--since")]
    [InlineData("--tenant", "Acme.Corp", "--tenant")]
    [InlineData("--type", "nonsense", "--type")]
    public async Task Events_tail_refuses_bad_input_naming_the_option(string option, string value, string named)
    {
        var (code, _, stderr) = await SomaProcess.RunAsync(["events", "tail", "--data", Path.Combine(_work.FullName, "d"), "--no-follow", option, value]);
        Assert.Equal(2, code);
        Assert.Contains(named, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_applies_the_store_and_bus_then_exits_and_can_run_again()
    {
        var data = Path.Combine(_work.FullName, "data");
        for (var run = 0; run < 2; run++)
        {
            var (code, stdout, stderr) = await SomaProcess.RunAsync(["migrate", "--data", data]);
            Assert.True(code == 0, stderr);
            Assert.Contains("migrated: store sqlite, bus in-process", stdout, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(Path.Combine(data, "soma.db")));
        var (bad, _, badError) = await SomaProcess.RunAsync(["migrate", "--data", Path.Combine(_work.FullName, "other")], new Dictionary<string, string> { ["SOMA__BUS__PROVIDER"] = "kafka" });
        Assert.Equal(2, bad);
        Assert.Contains("Soma:Bus:Provider", badError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work.FullName, "other")), "nothing is written when the configuration is wrong");
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("worker,relay,sync")]
    public async Task A_process_without_the_gateway_role_serves_health_and_metrics_only(string roles)
    {
        var data = Path.Combine(_work.FullName, "data");
        var port = SomaProcess.FreePort();
        await using var soma = SomaProcess.Start(["serve", "--data", data, "--roles", roles, "--urls", $"http://127.0.0.1:{port}"]);
        var output = await soma.WaitForOutputAsync("Authorization: Bearer", Patience);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken(output));

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics")).StatusCode);
        foreach (var path in (string[])["/v1/sessions", "/v1/runs", "/v1/usage", "/", "/openapi/v1.json"])
        {
            Assert.True((await http.GetAsync(path)).StatusCode == HttpStatusCode.NotFound, $"{path} is not served with roles {roles}");
        }

        // The memory role serves the memory service's protocol (its health is anonymous).
        using var anonymous = new HttpClient();
        var memoryHealth = await anonymous.GetAsync($"http://127.0.0.1:{port}/health");
        Assert.Equal(roles.Contains("memory", StringComparison.Ordinal), memoryHealth.StatusCode == HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("SOMA__OUTBOX__MONITOR__INTERVALSECONDS", "0", "Soma:Outbox:Monitor:IntervalSeconds")]
    [InlineData("SOMA__OUTBOX__RETENTIONHOURS", "-1", "Soma:Outbox:RetentionHours")]
    [InlineData("SOMA__BUS__PROVIDER", "kafka", "Soma:Bus:Provider")]
    [InlineData("SOMA__RELAY__BATCHSIZE", "0", "Soma:Relay:BatchSize")]
    public async Task Bad_relay_and_bus_settings_stop_the_start_naming_the_key(string variable, string value, string named)
    {
        var data = Path.Combine(_work.FullName, "data");
        var (exitCode, _, stderr) = await SomaProcess.RunAsync(
            ["serve", "--data", data, "--urls", $"http://127.0.0.1:{SomaProcess.FreePort()}"], new Dictionary<string, string> { [variable] = value });
        Assert.Equal(2, exitCode);
        Assert.Contains(named, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "nothing is written when the configuration is wrong");
    }

    private static JsonElement Component(JsonElement health, string name) =>
        health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static string AdminToken(string output) =>
        output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("eyJ", StringComparison.Ordinal));

    private static async Task EventuallyAsync(Func<Task<bool>> probe, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
