using System.Net.Http.Headers;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using Soma.Gateway.Tests.Conversations;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests;

/// <summary>
/// Every answer of the real server, success or problem, validates against what <c>/openapi/v1.json</c> declares for
/// its operation, status and content type (JSON Schema 2020-12, formats checked). Every operation whose success answer
/// is JSON must be exercised here: a new endpoint fails this test until it is added.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class OpenApiConformanceTests(ConversationFixture fixture) : IClassFixture<ConversationFixture>
{
    private static readonly Guid Unknown = Guid.CreateVersion7();

    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Every_answer_matches_the_schema_the_document_declares_and_every_JSON_operation_is_exercised()
    {
        var tenant = ServerFixture.NewTenant();
        using var user = Server.For(tenant, "tester", "user");
        using var admin = Server.For(tenant, "operator", "admin");
        using var anonymous = Server.Anonymous();
        var spec = await OpenApiResponses.LoadAsync(user);

        async Task<JsonElement> CallAsync(HttpClient client, HttpMethod method, string url, int expected, string? json = null, string? idempotencyKey = null)
        {
            using var request = new HttpRequestMessage(method, url);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }

            using var response = await client.SendAsync(request);
            var body = await spec.ValidateAsync(response);
            Assert.True((int)response.StatusCode == expected, $"{method} {url}: expected {expected}, got {(int)response.StatusCode}: {body}");
            return body.Length == 0 || response.Content.Headers.ContentType?.MediaType == "application/x-ndjson" ? default : JsonElement.Parse(body);
        }

        Task<JsonElement> GetAsync(HttpClient client, string url, int expected = 200) => CallAsync(client, HttpMethod.Get, url, expected);

        // Health.
        await GetAsync(anonymous, "/healthz");
        await GetAsync(anonymous, "/readyz");
        await GetAsync(anonymous, "/.well-known/jwks.json");
        await GetAsync(user, "/v1/health");

        // Sessions: null metadata (title too), an object, a scalar.
        var bare = (await CallAsync(user, HttpMethod.Post, "/v1/sessions", 201, "{}")).GetProperty("id").GetGuid();
        var titled = (await CallAsync(user, HttpMethod.Post, "/v1/sessions", 201, """{"title":"no metadata","metadata":null}""")).GetProperty("id").GetGuid();
        var withMetadata = await CallAsync(user, HttpMethod.Post, "/v1/sessions", 201, """{"title":"with metadata","metadata":{"source":"conformance","tags":["a",1,null]}}""");
        Assert.Equal(JsonValueKind.Object, withMetadata.GetProperty("metadata").ValueKind);
        var session = withMetadata.GetProperty("id").GetGuid();
        Assert.Equal(JsonValueKind.Null, (await GetAsync(user, $"/v1/sessions/{bare}")).GetProperty("metadata").ValueKind);
        await GetAsync(user, $"/v1/sessions/{titled}");
        await GetAsync(user, $"/v1/sessions/{session}");
        var firstPage = await GetAsync(user, "/v1/sessions?limit=1");
        var cursor = firstPage.GetProperty("next_cursor").GetString()!;
        await GetAsync(user, $"/v1/sessions?limit=1&cursor={Uri.EscapeDataString(cursor)}");
        await GetAsync(user, "/v1/sessions");
        await CallAsync(user, HttpMethod.Patch, $"/v1/sessions/{titled}", 200, """{"title":"renamed"}""");
        await CallAsync(user, HttpMethod.Patch, $"/v1/sessions/{titled}", 200, """{"title":null}""");
        await CallAsync(user, HttpMethod.Delete, $"/v1/sessions/{titled}", 204);

        // A message, its turn and the answer.
        var accepted = await CallAsync(user, HttpMethod.Post, $"/v1/sessions/{session}/messages", 202, Body("hello, schema"), "conformance-1");
        var turn = accepted.GetProperty("run_id").GetGuid();
        await CallAsync(user, HttpMethod.Post, $"/v1/sessions/{session}/messages", 202, Body("hello, schema"), "conformance-1");
        await CallAsync(user, HttpMethod.Post, $"/v1/sessions/{bare}/messages", 202, """{"content":"with metadata","metadata":{"client":"test"}}""");
        await EventuallyAsync(() => GetAsync(user, $"/v1/runs/{turn}"), r => r.GetProperty("state").GetString() == "succeeded", "the turn to succeed");
        var messages = await EventuallyAsync(
            () => GetAsync(user, $"/v1/sessions/{session}/messages"),
            page => page.GetProperty("items").EnumerateArray().Any(m => m.GetProperty("role").GetString() == "assistant"),
            "the assistant's answer");
        Assert.True(messages.GetProperty("items").GetArrayLength() >= 2);
        await GetAsync(user, $"/v1/sessions/{session}/messages?limit=1");

        // Runs: the turn, and demo.approval started, replayed by its key, resumed and cancelled.
        await GetAsync(user, "/v1/runs");
        await GetAsync(user, "/v1/runs?state=succeeded&limit=5");
        await GetAsync(user, $"/v1/runs/{turn}/steps");
        await GetAsync(user, $"/v1/runs/{turn}/checkpoints/1");
        var approval = (await CallAsync(user, HttpMethod.Post, "/v1/runs", 202, """{"workflow":"demo.approval"}""", "approval-1")).GetProperty("run_id").GetGuid();
        Assert.True((await CallAsync(user, HttpMethod.Post, "/v1/runs", 200, """{"workflow":"demo.approval"}""", "approval-1")).GetProperty("existing").GetBoolean());
        await EventuallyAsync(() => GetAsync(user, $"/v1/runs/{approval}"), r => r.GetProperty("state").GetString() == "waiting", "the approval to wait");
        await GetAsync(user, $"/v1/runs/{approval}");
        await GetAsync(user, $"/v1/runs/{approval}/steps");
        await GetAsync(user, $"/v1/runs/{approval}/timeline");
        await GetAsync(user, $"/v1/runs/{turn}/timeline");
        await CallAsync(user, HttpMethod.Post, $"/v1/runs/{approval}/resume", 202, """{"input":{"approved_by":"alice"}}""");
        var ended = await EventuallyAsync(() => GetAsync(user, $"/v1/runs/{approval}"), r => r.GetProperty("state").GetString() == "succeeded", "the approval to finish");
        Assert.NotEqual(JsonValueKind.Undefined, ended.GetProperty("output").ValueKind);
        await CallAsync(user, HttpMethod.Post, $"/v1/runs/{approval}/resume", 409, """{"input":{}}""");
        await CallAsync(user, HttpMethod.Post, $"/v1/runs/{approval}/cancel", 409);
        var toCancel = (await CallAsync(user, HttpMethod.Post, "/v1/runs", 202, """{"workflow":"demo.approval","input":null}""")).GetProperty("run_id").GetGuid();
        await EventuallyAsync(() => GetAsync(user, $"/v1/runs/{toCancel}"), r => r.GetProperty("state").GetString() == "waiting", "the second approval to wait");
        await CallAsync(user, HttpMethod.Post, $"/v1/runs/{toCancel}/cancel", 202);

        // Memory and usage.
        await GetAsync(user, "/v1/memory?query=hello");
        await GetAsync(user, $"/v1/memory?query=hello&top_k=3&session_id={session}");
        await GetAsync(user, "/v1/memory?query=hello&mode=text");
        await GetAsync(user, $"/v1/sessions/{session}/memories");
        await GetAsync(admin, "/v1/memory/status");
        await CallAsync(admin, HttpMethod.Post, $"/v1/memory/flush?tenant={tenant}", 200);
        await CallAsync(admin, HttpMethod.Post, "/v1/memory/flush?dry_run=true", 200);
        await GetAsync(user, "/v1/usage");
        await GetAsync(user, "/v1/usage?from=2020-01-01&to=2020-01-31");

        // Policy decisions: a turn that calls tools leaves decisions (allowed or denied, whatever the shipped roles say).
        var tools = await CreateSessionAsync(user, "tools");
        var toolTurn = (await CallAsync(user, HttpMethod.Post, $"/v1/sessions/{tools}/messages", 202, Body("What time is it? And calculate 2+3"))).GetProperty("run_id").GetGuid();
        await EventuallyAsync(() => GetAsync(user, $"/v1/runs/{toolTurn}"), r => r.GetProperty("state").GetString() == "succeeded", "the tool turn to succeed");
        var decisions = await GetAsync(admin, "/v1/policy/decisions?limit=1");
        Assert.Equal(1, decisions.GetProperty("items").GetArrayLength());
        await GetAsync(admin, $"/v1/policy/decisions?limit=1&cursor={Uri.EscapeDataString(decisions.GetProperty("next_cursor").GetString()!)}");
        await GetAsync(admin, "/v1/policy/decisions?tool=time.now&decision=allow&since=2020-01-01T00:00:00Z");
        await GetAsync(admin, "/v1/policy/decisions?decision=deny");

        // Tool analytics over the same calls: every tool, one tool, a window with no calls of a tool.
        var toolStats = await GetAsync(user, "/v1/tools/stats");
        Assert.NotEqual(0, toolStats.GetProperty("tools").GetArrayLength());
        await GetAsync(user, $"/v1/tools/stats?window=15m&tool=time.now&tenant={tenant}");
        await GetAsync(admin, "/v1/tools/stats?window=7d&tool=shell.run");

        // Problems: 400, 401, 403, 404, 409, 413.
        await CallAsync(user, HttpMethod.Post, "/v1/sessions", 400, """{"title":""");
        await CallAsync(user, HttpMethod.Post, "/v1/sessions", 400, """{"title":"x","metadata":"not an object"}""");
        await GetAsync(user, "/v1/sessions?limit=0", 400);
        await GetAsync(user, "/v1/sessions?cursor=not-a-cursor", 400);
        await GetAsync(user, "/v1/runs?limit=100000", 400);
        await GetAsync(user, "/v1/usage?from=yesterday", 400);
        await GetAsync(user, "/v1/memory", 400);
        await GetAsync(user, "/v1/memory?query=hello&mode=sideways", 400);
        await GetAsync(admin, "/v1/policy/decisions?decision=maybe", 400);
        await GetAsync(admin, "/v1/policy/decisions?since=yesterday", 400);
        await GetAsync(user, "/v1/tools/stats?window=forever", 400);
        await GetAsync(user, "/v1/tools/stats?tenant=someone-else", 403);
        await CallAsync(user, HttpMethod.Post, "/v1/runs", 400, "{}");
        await CallAsync(user, HttpMethod.Post, "/v1/runs", 404, """{"workflow":"no.such.workflow"}""");
        await CallAsync(user, HttpMethod.Post, $"/v1/sessions/{session}/messages", 400, """{"content":""}""");
        await CallAsync(user, HttpMethod.Post, $"/v1/sessions/{session}/messages", 409, Body("another body, same key"), "conformance-1");
        await CallAsync(user, HttpMethod.Post, $"/v1/sessions/{session}/messages", 413, Body(new string('x', 70_000)));
        await GetAsync(anonymous, "/v1/sessions", 401);
        await GetAsync(anonymous, "/v1/health", 401);
        using (var badToken = Server.Anonymous())
        {
            badToken.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not.a.token");
            await CallAsync(badToken, HttpMethod.Post, "/v1/runs", 401, """{"workflow":"demo.approval"}""");
        }

        await GetAsync(user, "/v1/memory/status", 403);
        await CallAsync(user, HttpMethod.Post, "/v1/memory/flush", 403);
        await GetAsync(user, "/v1/policy/decisions", 403);
        await GetAsync(user, $"/v1/sessions/{Unknown}", 404);
        await CallAsync(user, HttpMethod.Patch, $"/v1/sessions/{Unknown}", 404, """{"title":"x"}""");
        await CallAsync(user, HttpMethod.Delete, $"/v1/sessions/{Unknown}", 404);
        await GetAsync(user, $"/v1/sessions/{Unknown}/messages", 404);
        await CallAsync(user, HttpMethod.Post, $"/v1/sessions/{Unknown}/messages", 404, Body("hello"));
        await GetAsync(user, $"/v1/sessions/{Unknown}/memories", 404);
        await GetAsync(user, $"/v1/sessions/{Unknown}/events", 404);
        await GetAsync(user, $"/v1/runs/{Unknown}", 404);
        await GetAsync(user, $"/v1/runs/{Unknown}/steps", 404);
        await GetAsync(user, $"/v1/runs/{Unknown}/timeline", 404);
        await GetAsync(user, "/v1/runs/not-a-run/timeline", 400);
        await GetAsync(user, $"/v1/runs/{turn}/checkpoints/999", 404);
        await CallAsync(user, HttpMethod.Post, $"/v1/runs/{Unknown}/resume", 404, """{"input":{}}""");
        await CallAsync(user, HttpMethod.Post, $"/v1/runs/{Unknown}/cancel", 404);
        await GetAsync(user, $"/v1/runs/{Unknown}/events", 404);

        var untested = spec.JsonOperations.Where(op => !spec.Validated.Any(v => v.StartsWith(op + " 2", StringComparison.Ordinal))).ToList();
        Assert.True(untested.Count == 0, $"Exercise these operations here (their JSON answers were never validated): {string.Join(", ", untested)}");
    }
}
