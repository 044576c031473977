using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Soma.Testing;
using static Soma.Gateway.Tests.RunsApi;

namespace Soma.Gateway.Tests;

/// <summary>
/// A server with the worker role and the demo workflows, a trace link template, and a webhook receiver that answers
/// 503 to the first delivery of each key, so <c>demo.pipeline</c>'s <c>notify</c> step fails once and then succeeds.
/// </summary>
public sealed class RunTimelineFixture : IAsyncLifetime
{
    public const string TraceTemplate = "https://tempo.example/trace/{traceId}?orgId=1";

    public RunningServer Server { get; private set; } = null!;

    public WebhookReceiver Webhook { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Webhook = await WebhookReceiver.StartAsync();
        Webhook.FailFirst = 1;
        Server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Roles"] = "gateway,worker",
            ["Soma:Demo:WebhookUrl"] = Webhook.Url,
            ["Soma:Orchestration:PollMilliseconds"] = "20",
            ["Soma:Telemetry:TraceUrlTemplate"] = TraceTemplate,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Webhook.DisposeAsync();
    }
}

public sealed partial class RunTimelineApiTests(RunTimelineFixture fixture) : IClassFixture<RunTimelineFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task A_step_that_fails_then_succeeds_shows_two_attempts_with_the_retry_gap_between_them_and_the_runs_trace_link()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var runId = await StartAsync(client, """{"workflow":"demo.pipeline","input":{"order":5}}""");
        await WaitForStateAsync(client, runId, "succeeded");

        var timeline = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}/timeline");
        Assert.Equal(runId, timeline.GetProperty("run_id").GetString());
        Assert.Equal("demo.pipeline", timeline.GetProperty("workflow").GetString());
        Assert.Equal("succeeded", timeline.GetProperty("state").GetString());
        var steps = timeline.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(11, steps.Count);
        Assert.Equal("fetch", steps[0].GetProperty("key").GetString());
        Assert.Equal("done", steps[^1].GetProperty("key").GetString());

        var notify = steps.Single(s => s.GetProperty("key").GetString() == "notify");
        Assert.Equal("succeeded", notify.GetProperty("status").GetString());
        var attempts = notify.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("retrying", attempts[0].GetProperty("outcome").GetString());
        Assert.Equal("http.503", attempts[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("The webhook answered 503.", attempts[0].GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("succeeded", attempts[1].GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, attempts[1].GetProperty("error").ValueKind);

        // The backoff sits between the attempts: from the end of the first to the start of the second.
        var gap = Assert.Single(notify.GetProperty("gaps").EnumerateArray());
        Assert.Equal("retry", gap.GetProperty("kind").GetString());
        Assert.Equal(attempts[0].GetProperty("ended_at").GetDateTimeOffset(), gap.GetProperty("started_at").GetDateTimeOffset());
        Assert.Equal(attempts[1].GetProperty("started_at").GetDateTimeOffset(), gap.GetProperty("ended_at").GetDateTimeOffset());
        Assert.True(gap.GetProperty("ended_at").GetDateTimeOffset() > gap.GetProperty("started_at").GetDateTimeOffset(), "the backoff has a length");

        // Every other step ran once, in dependency order.
        Assert.All(steps.Where(s => s.GetProperty("key").GetString() != "notify"), s => Assert.Equal("succeeded", Assert.Single(s.GetProperty("attempts").EnumerateArray()).GetProperty("outcome").GetString()));
        var fetchEnd = steps[0].GetProperty("attempts")[0].GetProperty("ended_at").GetDateTimeOffset();
        Assert.All(steps.Skip(1), s => Assert.True(s.GetProperty("attempts")[0].GetProperty("started_at").GetDateTimeOffset() >= fetchEnd.AddMilliseconds(-1)));

        // The trace id is the one the run's events carry, and the link is the template with it.
        var traceId = timeline.GetProperty("trace_id").GetString()!;
        Assert.Matches(TraceId(), traceId);
        var events = await ReadEventsAsync(client, runId);
        Assert.All(events, e => Assert.Equal(traceId, JsonDocument.Parse(e).RootElement.GetProperty("trace_id").GetString()));
        Assert.Equal($"https://tempo.example/trace/{traceId}?orgId=1", timeline.GetProperty("trace_url").GetString());
    }

    [Fact]
    public async Task A_waiting_run_shows_an_open_wait_that_closes_when_it_is_resumed()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var runId = await StartAsync(client, """{"workflow":"demo.approval"}""");
        await WaitForStateAsync(client, runId, "waiting");

        var waiting = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}/timeline");
        Assert.Equal("waiting", waiting.GetProperty("state").GetString());
        Assert.Equal("approval", waiting.GetProperty("waiting_for").GetString());
        var approve = Step(waiting, "approve");
        Assert.Equal("waiting", approve.GetProperty("status").GetString());
        Assert.Equal("waiting", Assert.Single(approve.GetProperty("attempts").EnumerateArray()).GetProperty("outcome").GetString());
        var open = Assert.Single(approve.GetProperty("gaps").EnumerateArray());
        Assert.Equal("wait", open.GetProperty("kind").GetString());
        Assert.Equal("approval", open.GetProperty("waiting_for").GetString());
        Assert.Equal(JsonValueKind.Null, open.GetProperty("ended_at").ValueKind);
        Assert.DoesNotContain(waiting.GetProperty("steps").EnumerateArray(), s => s.GetProperty("key").GetString() == "finish");

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"/v1/runs/{runId}/resume", new { input = new { approved_by = "alice" } })).StatusCode);
        await WaitForStateAsync(client, runId, "succeeded");
        var done = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}/timeline");
        approve = Step(done, "approve");
        var attempts = approve.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(["waiting", "succeeded"], attempts.Select(a => a.GetProperty("outcome").GetString()));
        var closed = Assert.Single(approve.GetProperty("gaps").EnumerateArray());
        Assert.Equal("wait", closed.GetProperty("kind").GetString());
        Assert.True(closed.GetProperty("ended_at").GetDateTimeOffset() <= attempts[1].GetProperty("started_at").GetDateTimeOffset().AddMilliseconds(1),
            "the wait ends when the run is resumed, before the next attempt");
        Assert.Equal("succeeded", Assert.Single(Step(done, "finish").GetProperty("attempts").EnumerateArray()).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Another_tenant_gets_404_and_a_bad_id_gets_a_problem_naming_it()
    {
        using var owner = Server.For(ServerFixture.NewTenant());
        var runId = await StartAsync(owner, """{"workflow":"demo.approval"}""");
        await WaitForStateAsync(owner, runId, "waiting");

        using var other = Server.For(ServerFixture.NewTenant());
        var missing = await ProblemAssert.IsProblemAsync(await other.GetAsync($"/v1/runs/{runId}/timeline"), HttpStatusCode.NotFound, "not-found");
        Assert.Contains(runId, missing.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var bad = await ProblemAssert.IsProblemAsync(await owner.GetAsync("/v1/runs/not-a-run/timeline"), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("id", bad.GetProperty("parameter").GetString());
        Assert.Contains("'not-a-run' is not a run id", bad.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await owner.GetAsync($"/v1/runs/{Guid.CreateVersion7()}/timeline"), HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData("tempo.example/trace/{traceId}", "an absolute http or https URL")]
    [InlineData("ftp://tempo.example/trace/{traceId}", "an absolute http or https URL")]
    [InlineData("https://tempo.example/trace/", "must contain {traceId}")]
    public async Task A_bad_trace_url_template_stops_the_start_naming_the_key(string template, string reason)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Telemetry:TraceUrlTemplate"] = template,
        }));
        Assert.Contains("Soma:Telemetry:TraceUrlTemplate", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    private static JsonElement Step(JsonElement timeline, string key) =>
        timeline.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("key").GetString() == key);



    private static async Task<List<string>> ReadEventsAsync(HttpClient client, string runId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.GetAsync($"/v1/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var events = new List<string>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync(cts.Token)).EnumerateAsync(cts.Token))
        {
            events.Add(item.Data);
        }

        return events;
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex TraceId();
}
