using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Soma.Contracts.Schemas;
using Soma.Testing;
using static Soma.Gateway.Tests.RunsApi;

namespace Soma.Gateway.Tests;

/// <summary>A server with the worker role and the demo workflows, whose webhook points at a loopback receiver.</summary>
public sealed class RunApiFixture : IAsyncLifetime
{
    public RunningServer Server { get; private set; } = null!;

    public WebhookReceiver Webhook { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Webhook = await WebhookReceiver.StartAsync();
        Server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Roles"] = "gateway,worker",
            ["Soma:Demo:WebhookUrl"] = Webhook.Url,
            ["Soma:Orchestration:PollMilliseconds"] = "20",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Webhook.DisposeAsync();
    }
}

public sealed class RunApiTests(RunApiFixture fixture) : IClassFixture<RunApiFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task A_pipeline_run_is_accepted_runs_to_success_and_calls_the_webhook_once_with_its_idempotency_key()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var started = await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.pipeline", input = new { order = 7 } });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!;
        Assert.Equal($"/v1/runs/{runId}", started.Headers.Location?.OriginalString);

        var run = await WaitForEndAsync(client, runId);
        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal(7, run.GetProperty("output").GetProperty("done").GetProperty("order").GetInt32());
        Assert.Equal(11, run.GetProperty("checkpoint_version").GetInt64());

        var key = $"{Guid.Parse(runId):N}/notify/0";
        Assert.Equal(1, fixture.Webhook.CallsByKey[key]);

        var steps = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}/steps");
        Assert.Equal(11, steps.GetArrayLength());
        Assert.All(steps.EnumerateArray(), s => Assert.Equal("succeeded", s.GetProperty("status").GetString()));

        var checkpoint = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}/checkpoints/1");
        Assert.Equal(1, checkpoint.GetProperty("format_version").GetInt32());
        Assert.True(checkpoint.GetProperty("state").GetProperty("steps").TryGetProperty("fetch", out _));
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/v1/runs/{runId}/checkpoints/99"), HttpStatusCode.NotFound, "not-found");

        var list = await client.GetFromJsonAsync<JsonElement>("/v1/runs?state=succeeded&workflow=demo.pipeline");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetString() == runId);
    }

    [Fact]
    public async Task The_event_stream_replays_every_event_in_order_and_resumes_after_Last_Event_ID()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var started = await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.pipeline", input = new { order = 1 } });
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!;

        // Connected while the run is in flight: the stream follows it live and ends when the run ends.
        var all = await ReadEventsAsync(client, runId, null);
        Assert.Equal("run.accepted", all[0].Type);
        Assert.Equal("run.succeeded", all[^1].Type);
        Assert.Equal(all.Select(e => e.Id).Order(StringComparer.Ordinal), all.Select(e => e.Id));
        var validator = new EventValidator(SchemaRegistry.Default);
        Assert.All(all, e => Assert.True(validator.Validate(JsonDocument.Parse(e.Data).RootElement).IsValid, e.Data));

        var rest = await ReadEventsAsync(client, runId, all[4].Id);
        Assert.Equal(all.Skip(5).Select(e => e.Id), rest.Select(e => e.Id));
    }

    [Fact]
    public async Task An_approval_run_waits_then_resumes_with_the_awaited_input()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var started = await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.approval" });
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!;
        var waiting = await WaitForStateAsync(client, runId, "waiting");
        Assert.Equal("approval", waiting.GetProperty("waiting_for").GetString());

        var resumed = await client.PostAsJsonAsync($"/v1/runs/{runId}/resume", new { input = new { approved_by = "alice" } });
        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        var done = await WaitForEndAsync(client, runId);
        Assert.Equal("succeeded", done.GetProperty("state").GetString());
        Assert.Equal("alice", done.GetProperty("output").GetProperty("finish").GetProperty("decision").GetProperty("approved_by").GetString());
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync($"/v1/runs/{runId}/resume", new { input = new { } }), HttpStatusCode.Conflict, "conflict");
        await ProblemAssert.IsProblemAsync(await client.PostAsync($"/v1/runs/{runId}/resume", new StringContent("{oops", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "malformed-json");
    }

    [Fact]
    public async Task Unknown_workflows_bad_input_wrong_states_and_other_tenants_are_answered_with_problems()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);

        var unknown = await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.nothing" }), HttpStatusCode.NotFound, "not-found");
        Assert.Contains("demo.nothing", unknown.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var version = await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.pipeline", version = 9, input = new { order = 1 } }), HttpStatusCode.NotFound, "not-found");
        Assert.Contains("version 9", version.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var badInput = await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.pipeline", input = new { order = "seven" } }), HttpStatusCode.BadRequest, "invalid-field");
        Assert.Equal("/input/order", badInput.GetProperty("pointer").GetString());
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.pipeline", input = new { order = 1 }, colour = "red" }), HttpStatusCode.BadRequest, "invalid-field");
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/v1/runs?state=exploded"), HttpStatusCode.BadRequest, "invalid-parameter");

        var started = await client.PostAsJsonAsync("/v1/runs", new { workflow = "demo.pipeline", input = new { order = 2 } });
        var runId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!;
        await WaitForEndAsync(client, runId);
        var conflict = await ProblemAssert.IsProblemAsync(await client.PostAsync($"/v1/runs/{runId}/resume", null), HttpStatusCode.Conflict, "conflict");
        Assert.Contains("succeeded", conflict.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await client.PostAsync($"/v1/runs/{runId}/cancel", null), HttpStatusCode.Conflict, "conflict");

        using var other = Server.For(ServerFixture.NewTenant());
        foreach (var path in (string[])[$"/v1/runs/{runId}", $"/v1/runs/{runId}/steps", $"/v1/runs/{runId}/checkpoints/1", $"/v1/runs/{runId}/events"])
        {
            await ProblemAssert.IsProblemAsync(await other.GetAsync(path), HttpStatusCode.NotFound, "not-found");
        }

        await ProblemAssert.IsProblemAsync(await other.PostAsync($"/v1/runs/{runId}/cancel", null), HttpStatusCode.NotFound, "not-found");
        Assert.DoesNotContain((await other.GetFromJsonAsync<JsonElement>("/v1/runs")).GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetString() == runId);
    }

    [Fact]
    public async Task The_same_Idempotency_Key_starts_one_run()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        async Task<HttpResponseMessage> StartAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/runs") { Content = JsonContent.Create(new { workflow = "demo.pipeline", input = new { order = 3 } }) };
            request.Headers.Add("Idempotency-Key", "order-3");
            return await client.SendAsync(request);
        }

        var first = await StartAsync();
        var second = await StartAsync();
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var a = await first.Content.ReadFromJsonAsync<JsonElement>();
        var b = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("run_id").GetString(), b.GetProperty("run_id").GetString());
        Assert.True(b.GetProperty("existing").GetBoolean());
    }

    private static async Task<JsonElement> WaitForEndAsync(HttpClient client, string runId)
    {
        for (var i = 0; i < 600; i++)
        {
            var run = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}");
            if (run.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled")
            {
                return run;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Run {runId} did not end.");
    }


    private static async Task<List<(string Id, string Type, string Data)>> ReadEventsAsync(HttpClient client, string runId, string? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/runs/{runId}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<(string, string, string)>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync(cts.Token)).EnumerateAsync(cts.Token))
        {
            events.Add((item.EventId!, item.EventType, item.Data));
        }

        return events;
    }
}
