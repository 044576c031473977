using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>
/// Every endpoint of the OpenAPI document, called with another tenant's token on a tenant's objects, finds nothing and
/// shows nothing of them. An endpoint this test does not know fails it, so a new endpoint cannot be forgotten here.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class TenantIsolationTests(ConversationFixture fixture) : IClassFixture<ConversationFixture>
{
    private const string MessageKey = "a-message-key";
    private const string RunKey = "a-run-key";

    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Every_documented_endpoint_called_with_another_tenants_token_finds_nothing_and_leaks_nothing()
    {
        // Tenant A: a session with a message and its answer, the turn's run, and a run waiting for its input.
        var tenantA = ServerFixture.NewTenant();
        using var a = Server.For(tenantA);
        var marker = "secret-" + Guid.NewGuid().ToString("N");
        var session = await CreateSessionAsync(a, "title-" + marker);
        var messageBody = Body("remember " + marker);
        var response = await PostMessageAsync(a, session, messageBody, MessageKey);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var turn = Accepted(await response.Content.ReadAsStringAsync());
        Assert.Equal("succeeded", (await RunEndedAsync(a, turn.RunId)).GetProperty("state").GetString());
        var approval = await StartApprovalAsync(a);
        await EventuallyAsync(() => a.GetFromJsonAsync<JsonElement>($"/v1/runs/{approval}"), r => r.GetProperty("state").GetString() == "waiting", "the approval run to wait");

        var ids = new Dictionary<string, Guid> { ["session"] = session, ["message"] = turn.MessageId, ["reply"] = turn.ReplyId, ["turn run"] = turn.RunId, ["approval run"] = approval };
        var secrets = ids.Values.SelectMany(id => new[] { id.ToString("D"), id.ToString("N") }).Append(tenantA).Append(marker).ToList();

        using var b = Server.For(ServerFixture.NewTenant());
        var document = JsonDocument.Parse(await b.GetStringAsync("/openapi/v1.json")).RootElement;
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => $"{o.Name.ToUpperInvariant()} {p.Name}"))
            .ToHashSet(StringComparer.Ordinal);
        var known = Calls(session, turn.RunId, approval, messageBody);
        Assert.True(documented.SetEquals(known.Keys),
            "Teach this test the new or removed endpoints (path parameters and expected answer): "
            + $"unknown: [{string.Join(", ", documented.Except(known.Keys))}], no longer documented: [{string.Join(", ", known.Keys.Except(documented))}]");

        foreach (var (operation, call) in known)
        {
            using var request = call.Request();
            var sentText = request.RequestUri + " " + (request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync());
            using var answer = await b.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var body = await ReadSomeAsync(answer);
            var status = (int)answer.StatusCode;
            if (call.TouchesTenantA)
            {
                Assert.True(status is 404 or 403 or 400 or 405, $"{operation} with another tenant's token answered {status}: {body}");
            }
            else
            {
                Assert.True(status < 500, $"{operation} answered {status}: {body}");
            }

            // What B sent itself may be echoed (a 404 names the path it was asked for); nothing else of A's may appear.
            foreach (var secret in secrets.Where(s => !sentText.Contains(s, StringComparison.OrdinalIgnoreCase)))
            {
                Assert.False(body.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{operation} showed tenant A's '{secret}' to tenant B: {body}");
            }
        }

        // Nothing B did changed A's objects.
        var stillThere = await a.GetFromJsonAsync<JsonElement>($"/v1/sessions/{session}");
        Assert.Equal("title-" + marker, stillThere.GetProperty("title").GetString());
        Assert.Equal([turn.MessageId, turn.ReplyId], (await MessagesAsync(a, session)).Select(m => m.GetProperty("id").GetGuid()));
        Assert.Equal("waiting", (await a.GetFromJsonAsync<JsonElement>($"/v1/runs/{approval}")).GetProperty("state").GetString());
    }

    /// <summary>
    /// Each documented operation, as "METHOD /path" exactly as the OpenAPI document spells it, with how to call it as
    /// tenant B on tenant A's objects. <c>TouchesTenantA</c> false: the call names nothing of A's, so it may succeed for B.
    /// </summary>
    private static Dictionary<string, Call> Calls(Guid session, Guid turnRun, Guid waitingRun, string messageBody) => new(StringComparer.Ordinal)
    {
        ["GET /healthz"] = new(false, () => Get("/healthz")),
        ["GET /readyz"] = new(false, () => Get("/readyz")),
        ["GET /.well-known/jwks.json"] = new(false, () => Get("/.well-known/jwks.json")),
        ["GET /v1/health"] = new(false, () => Get("/v1/health")),
        ["GET /v1/usage"] = new(false, () => Get("/v1/usage")),
        ["GET /v1/memory"] = new(false, () => Get($"/v1/memory?query={Uri.EscapeDataString(messageBody)}")),
        ["GET /v1/memory/status"] = new(false, () => Get("/v1/memory/status")),
        ["POST /v1/memory/flush"] = new(false, () => Send(HttpMethod.Post, "/v1/memory/flush")),
        ["POST /v1/memory/reindex"] = new(false, () => Send(HttpMethod.Post, "/v1/memory/reindex")),
        ["GET /v1/policy/decisions"] = new(false, () => Get("/v1/policy/decisions")),
        ["GET /v1/tools/stats"] = new(false, () => Get("/v1/tools/stats")),
        ["GET /v1/sessions/{id}/memories"] = new(true, () => Get($"/v1/sessions/{session}/memories")),
        ["POST /v1/sessions"] = new(false, () => Send(HttpMethod.Post, "/v1/sessions", """{"title":"b's own"}""")),
        ["GET /v1/sessions"] = new(false, () => Get("/v1/sessions")),
        ["GET /v1/sessions/{id}"] = new(true, () => Get($"/v1/sessions/{session}")),
        ["PATCH /v1/sessions/{id}"] = new(true, () => Send(HttpMethod.Patch, $"/v1/sessions/{session}", """{"title":"pwned"}""")),
        ["DELETE /v1/sessions/{id}"] = new(true, () => Send(HttpMethod.Delete, $"/v1/sessions/{session}")),
        ["GET /v1/sessions/{id}/messages"] = new(true, () => Get($"/v1/sessions/{session}/messages")),

        // A's very request, idempotency key included: a replay must not hand B the ids of A's message.
        ["POST /v1/sessions/{id}/messages"] = new(true, () => Send(HttpMethod.Post, $"/v1/sessions/{session}/messages", messageBody, MessageKey)),
        ["GET /v1/sessions/{id}/events"] = new(true, () => Get($"/v1/sessions/{session}/events")),

        // B may start its own run, but the idempotency key A used must not answer with A's run.
        ["POST /v1/runs"] = new(false, () => Send(HttpMethod.Post, "/v1/runs", """{"workflow":"demo.approval"}""", RunKey)),
        ["GET /v1/runs"] = new(false, () => Get("/v1/runs")),
        ["GET /v1/runs/{id}"] = new(true, () => Get($"/v1/runs/{turnRun}")),
        ["GET /v1/runs/{id}/steps"] = new(true, () => Get($"/v1/runs/{turnRun}/steps")),
        ["GET /v1/runs/{id}/timeline"] = new(true, () => Get($"/v1/runs/{turnRun}/timeline")),
        ["GET /v1/runs/{id}/checkpoints/{version}"] = new(true, () => Get($"/v1/runs/{turnRun}/checkpoints/1")),
        ["POST /v1/runs/{id}/resume"] = new(true, () => Send(HttpMethod.Post, $"/v1/runs/{waitingRun}/resume", """{"input":{"approved_by":"mallory"}}""")),
        ["POST /v1/runs/{id}/cancel"] = new(true, () => Send(HttpMethod.Post, $"/v1/runs/{waitingRun}/cancel")),
        ["GET /v1/runs/{id}/events"] = new(true, () => Get($"/v1/runs/{turnRun}/events")),
    };

    private static HttpRequestMessage Get(string path) => Send(HttpMethod.Get, path);

    private static HttpRequestMessage Send(HttpMethod method, string path, string? json = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    private static async Task<Guid> StartApprovalAsync(HttpClient client)
    {
        using var request = Send(HttpMethod.Post, "/v1/runs", """{"workflow":"demo.approval"}""", RunKey);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
    }

    // An event stream that wrongly opened never ends: read what arrives within a few seconds.
    private static async Task<string> ReadSomeAsync(HttpResponseMessage response)
    {
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var text = new StringBuilder();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }

        return text.ToString();
    }

    private sealed record Call(bool TouchesTenantA, Func<HttpRequestMessage> Request);
}
