using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Soma.Gateway.Tests.Conversations;
using Soma.Memory.Sync;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;
using static Soma.Gateway.Tests.Memory.MemoryProbe;

namespace Soma.Gateway.Tests.Memory;

/// <summary>With the memory service down a turn still answers, its writes wait, a tenant at its cap is refused, and everything drains when memory returns.</summary>
[SupportedOSPlatform("linux")]
public sealed class MemoryOutageTests(StandInFixture fixture) : IClassFixture<StandInFixture>
{
    private RunningServer Server => fixture.Server;

    private SomaBrainStandIn Memory => fixture.Memory;

    [Fact]
    public async Task A_turn_answers_while_memory_is_down_and_its_writes_drain_once_each_when_memory_returns()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        var session = await CreateSessionAsync(client);
        await WaitForMemoryHealthAsync(client, "normal");
        await Memory.StopListeningAsync();
        try
        {
            var health = await WaitForMemoryHealthAsync(client, "down");
            Assert.Equal("down", health.GetProperty("status").GetString());

            var sent = await SendAsync(client, session, "What is 5*5? outage fact");
            var run = await RunEndedAsync(client, sent.RunId);
            Assert.Equal("succeeded", run.GetProperty("state").GetString());
            var answer = (await MessagesAsync(client, session)).Single(m => m.GetProperty("role").GetString() == "assistant");
            Assert.Contains("25", answer.GetProperty("content").GetString(), StringComparison.Ordinal);

            var recall = Assert.Single(await EventsAsync(Server, tenant, session, "memory.recall"));
            Assert.Equal("degraded", recall.GetProperty("outcome").GetString());
            Assert.Equal("memory.down", recall.GetProperty("error").GetProperty("code").GetString());

            // user, tool, assistant and the link row wait in the outbox.
            var waiting = await WaitForWritesAsync(client, session, 4, "pending");
            Assert.Equal(4, (await SessionMemoriesAsync(client, session)).GetProperty("pending").GetInt32());
            Assert.Equal("down", (await MemoryHealthAsync(client)).GetProperty("status").GetString());
            Assert.DoesNotContain(Memory.Memories, m => m.Tenant == tenant);

            // The memory panel's search says memory is unavailable, without passing on what the client saw.
            var search = await client.GetAsync("/v1/memory?query=outage");
            var problem = await ProblemAssert.IsProblemAsync(search, HttpStatusCode.ServiceUnavailable, "unavailable");
            Assert.True(search.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is set");
            Assert.DoesNotContain(Memory.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

            await Memory.StartListeningAsync();
            await WaitForWritesAsync(client, session, 4, "sent");
            await WaitForMemoryHealthAsync(client, "normal");

            var expected = waiting.Where(i => i.GetProperty("kind").GetString() == "memory").Select(i => i.GetProperty("key").GetString()!).Order(StringComparer.Ordinal).ToList();
            var remembered = Memory.Requests.Where(r => r.Path is "/memory/remember" or "/memory/remember/batch" && r.Header("X-Tenant-ID") == tenant)
                .SelectMany(r => r.Path == "/memory/remember" ? [r.Json!["key"]!.GetValue<string>()] : r.Json!["items"]!.AsArray().Select(i => i!["key"]!.GetValue<string>()))
                .Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, remembered);
            Assert.Equal(expected, Memory.Memories.Where(m => m.Tenant == tenant).Select(m => m.Key).Order(StringComparer.Ordinal));
            var link = Item(waiting, "link", $"{tenant}/{session}/{sent.MessageId}/user");
            var (rel, target) = Assert.Single(Links(link));
            var linkRequests = Memory.RequestsTo("/link").Where(r => r.Json!["from_key"]!.GetValue<string>() == link.GetProperty("key").GetString()).ToList();
            var linkRequest = Assert.Single(linkRequests);
            Assert.Equal(rel, linkRequest.Json!["type"]!.GetValue<string>());
            Assert.Equal(target, linkRequest.Json!["to_key"]!.GetValue<string>());
        }
        finally
        {
            await Memory.StartListeningAsync();
        }
    }

    [Fact]
    public async Task A_tenant_at_its_cap_is_refused_with_503_leaving_nothing_behind_until_its_writes_drain()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        using var admin = Server.For(tenant, "operator", "admin");
        var session = await CreateSessionAsync(client);
        await WaitForMemoryHealthAsync(client, "normal");
        await Memory.StopListeningAsync();
        try
        {
            await WaitForMemoryHealthAsync(client, "down");

            // Each turn without a tool leaves three writes (user, answer, link); each POST waits for its turn to end.
            var accepted = 0;
            AcceptedMessage? first = null;
            HttpResponseMessage refused;
            while (true)
            {
                var pending = await PendingAsync(admin, tenant);
                var response = await PostMessageAsync(client, session, Body($"hello number {accepted}"), $"cap-{accepted}");
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    refused = response;
                    Assert.True(pending + MemoryBacklog.WritesPerTurn > StandInFixture.Cap, $"refused with {pending} writes waiting: a turn's writes would still fit the cap of {StandInFixture.Cap}");
                    break;
                }

                Assert.True(pending + MemoryBacklog.WritesPerTurn <= StandInFixture.Cap, $"accepted with {pending} writes waiting: a turn's writes could pass the cap");
                var sent = Accepted(await response.Content.ReadAsStringAsync());
                first ??= sent;
                Assert.Equal("succeeded", (await RunEndedAsync(client, sent.RunId)).GetProperty("state").GetString());
                accepted++;
                Assert.True(accepted <= StandInFixture.Cap, "the cap never refused a message");
            }

            // Cap 8, three writes per turn, room kept for four: two turns (6 writes) fit, a third could pass the cap.
            Assert.Equal(2, accepted);
            Assert.True(await PendingAsync(admin, tenant) <= StandInFixture.Cap, "the backlog stays within its cap");
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "unavailable");
            Assert.Contains("Soma:Memory:OutboxCapPerTenant", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is set");
            var keyless = await PostMessageAsync(client, session, Body("hello without a key"));
            await ProblemAssert.IsProblemAsync(keyless, HttpStatusCode.ServiceUnavailable, "unavailable");
            Assert.True(keyless.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is set");

            // The refused message left nothing: no message, no run, no memory write.
            Assert.Equal(2 * accepted, (await MessagesAsync(client, session)).Count);
            var memories = await SessionMemoriesAsync(client, session);
            Assert.Equal(3 * accepted, memories.GetProperty("items").GetArrayLength());
            Assert.Equal(3 * accepted, memories.GetProperty("pending").GetInt32());
            var runs = await client.GetFromJsonAsync<JsonElement>("/v1/runs?limit=100");
            Assert.Equal(accepted, runs.GetProperty("items").GetArrayLength());

            // A retry of a message that was accepted before the cap was reached is not a new message: it gets its 202 again.
            Assert.Equal(first, await SendAsync(client, session, "hello number 0", "cap-0"));
            Assert.Equal(3 * accepted, (await SessionMemoriesAsync(client, session)).GetProperty("items").GetArrayLength());

            // Another tenant is not held back by this one's backlog.
            using var neighbour = Server.For(ServerFixture.NewTenant());
            var theirs = await CreateSessionAsync(neighbour);
            var theirMessage = await SendAsync(neighbour, theirs, "hello from next door");
            await RunEndedAsync(neighbour, theirMessage.RunId);

            await Memory.StartListeningAsync();
            await EventuallyAsync(() => PendingAsync(admin, tenant), p => p == 0, "the tenant's writes to drain");
            // The refused message's key was not used up: the same request is now accepted as a new message.
            var again = await SendAsync(client, session, $"hello number {accepted}", $"cap-{accepted}");
            Assert.NotEqual(first!.RunId, again.RunId);
            Assert.Equal("succeeded", (await RunEndedAsync(client, again.RunId)).GetProperty("state").GetString());
        }
        finally
        {
            await Memory.StartListeningAsync();
        }
    }

    [Fact]
    public async Task Against_SomaBrain_which_does_not_say_why_a_memory_matched_the_mode_is_still_sent_and_match_is_null()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        await WaitForMemoryHealthAsync(client, "normal");
        using (var direct = new HttpClient { BaseAddress = Memory.BaseAddress })
        {
            direct.DefaultRequestHeaders.Authorization = new("Bearer", Memory.Token);
            direct.DefaultRequestHeaders.Add("X-Tenant-ID", tenant);
            using var stored = await direct.PostAsJsonAsync("/memory/remember", new { tenant, @namespace = "agent", key = $"{tenant}/k", value = new { role = "note", text = "the gingkoverse note" } });
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }

        foreach (var mode in new[] { "hybrid", "vector" })
        {
            var found = await client.GetFromJsonAsync<JsonElement>($"/v1/memory?query=gingkoverse&mode={mode}");
            Assert.Equal(mode, found.GetProperty("mode").GetString());
            var hit = Assert.Single(found.GetProperty("results").EnumerateArray());
            Assert.Equal(JsonValueKind.Null, hit.GetProperty("match").ValueKind);
        }

        // A request without a mode names the default all the same; SomaBrain ignores the field.
        await client.GetFromJsonAsync<JsonElement>("/v1/memory?query=gingkoverse&top_k=3");
        var recalls = Memory.RequestsTo("/memory/recall").Where(r => r.Header("X-Tenant-ID") == tenant).Select(r => r.Json!["mode"]?.GetValue<string>()).ToList();
        Assert.Equal(["hybrid", "vector", "hybrid"], recalls);
    }
}
