using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Testing;

namespace Soma.Server.Tests.Alerts;

/// <summary>
/// A real Prometheus (Debian's) scrapes a real <c>soma serve</c> with the shipped rules loaded: with the relay stopped the
/// outbox backlog alert goes pending, then firing; a relay started on the same data drains the outbox and the alert resolves.
/// </summary>
public sealed class LivePrometheusAlertTests : IAsyncLifetime
{
    private const string Alert = "SomaOutboxBacklogOld";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("soma-prom-");
    private PrometheusServer? _prometheus;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync();
        }

        _work.Delete(recursive: true);
    }

    [Fact]
    public async Task The_outbox_backlog_alert_goes_pending_then_firing_without_a_relay_and_resolves_when_a_relay_drains_it()
    {
        var data = Path.Combine(_work.FullName, "data");
        var environment = new Dictionary<string, string> { ["SOMA__OUTBOX__MONITOR__INTERVALSECONDS"] = "1" };

        // A gateway without the relay role: the turn's events stay in the outbox.
        var port = SomaProcess.FreePort();
        await using var gateway = SomaProcess.Start(["serve", "--data", data, "--roles", "gateway", "--urls", $"http://127.0.0.1:{port}"], environment);
        var token = AdminToken(await gateway.WaitForOutputAsync("Authorization: Bearer", Patience));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var created = await http.PostAsJsonAsync("/v1/sessions", new { title = "backlog" });
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync($"/v1/sessions/{session}/messages", new { content = "hello" })).StatusCode);

        // The shipped rule, with its threshold and hold time shortened: the expression tested is the real one.
        var rules = await File.ReadAllTextAsync(AlertRules.RulesFile);
        const string RealExpression = "expr: max(soma_outbox_oldest_age_seconds) > 300\n        for: 5m";
        Assert.Contains(RealExpression, rules, StringComparison.Ordinal);
        var testRules = Path.Combine(_work.FullName, "rules.yml");
        await File.WriteAllTextAsync(testRules, rules.Replace(RealExpression, "expr: max(soma_outbox_oldest_age_seconds) > 2\n        for: 4s", StringComparison.Ordinal));

        _prometheus = await PrometheusServer.StartAsync(_work.FullName, testRules, $"127.0.0.1:{port}", token, Patience);
        using var prometheus = new HttpClient { BaseAddress = _prometheus.Address };

        var seen = new List<string>();
        await EventuallyAsync(async () =>
        {
            var state = await AlertStateAsync(prometheus);
            if (state is not null && (seen.Count == 0 || seen[^1] != state))
            {
                seen.Add(state);
            }

            return state == "firing";
        }, "the outbox backlog alert to fire", () => string.Join(" -> ", seen));
        Assert.Equal(["pending", "firing"], seen);
        Assert.True(await UpAsync(prometheus), "Prometheus scrapes soma with the bearer token");

        // A relay and a memory sync (the outbox also holds memory writes) on the same data deliver the backlog: the oldest age drops to nothing and the alert resolves.
        await using var relay = SomaProcess.Start(["serve", "--data", data, "--roles", "relay,sync", "--urls", $"http://127.0.0.1:{SomaProcess.FreePort()}"], environment);
        await EventuallyAsync(async () => await AlertStateAsync(prometheus) is null, "the outbox backlog alert to resolve", () => relay.Stdout + relay.Stderr);
        var rule = (await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/rules?type=alert")).GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray()).Single(r => r.GetProperty("name").GetString() == Alert);
        Assert.Equal("inactive", rule.GetProperty("state").GetString());
        Assert.True(await UpAsync(prometheus), "the gateway is still scraped: the alert resolved because the backlog drained, not because the target vanished");
    }

    private static async Task<string?> AlertStateAsync(HttpClient prometheus)
    {
        try
        {
            var alerts = await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/alerts");
            return alerts.GetProperty("data").GetProperty("alerts").EnumerateArray()
                .Where(a => a.GetProperty("labels").GetProperty("alertname").GetString() == Alert)
                .Select(a => a.GetProperty("state").GetString())
                .FirstOrDefault();
        }
        catch (HttpRequestException)
        {
            return null; // Prometheus still starting
        }
    }

    private static async Task<bool> UpAsync(HttpClient prometheus)
    {
        var result = await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/query?query=up%7Bjob%3D%22soma%22%7D");
        return result.GetProperty("data").GetProperty("result").EnumerateArray().Any(r => r.GetProperty("value")[1].GetString() == "1");
    }

    private static string AdminToken(string output) =>
        output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("eyJ", StringComparison.Ordinal));

    private static async Task EventuallyAsync(Func<Task<bool>> probe, string what, Func<string> detail)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds:0} s for {what}: {detail()}");
            }

            await Task.Delay(200);
        }
    }
}
