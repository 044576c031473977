using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Soma.Gateway.Tests.Conversations;
using Soma.Server.Dev;
using Soma.Testing;
using static Soma.Gateway.Tests.Conversations.Conversation;
using static Soma.Gateway.Tests.Memory.MemoryProbe;

namespace Soma.Gateway.Tests.Memory;

/// <summary>Every user message, tool output and answer becomes a linked memory that later turns of other sessions recall.</summary>
[SupportedOSPlatform("linux")]
public sealed class WriteThroughTests(ConversationFixture fixture) : IClassFixture<ConversationFixture>
{
    private RunningServer Server => fixture.Server;

    private DevModelServer Model => fixture.Model;

    [Fact]
    public async Task A_turn_with_a_tool_call_is_remembered_linked_and_recalled_by_a_later_session_without_duplicates_on_a_retried_post()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        var session = await CreateSessionAsync(client);
        const string Fact = "What is 6*7? Remember the word quokkafjord";
        var sent = await SendAsync(client, session, Fact, idempotencyKey: "memory-once");
        Assert.Equal("succeeded", (await RunEndedAsync(client, sent.RunId)).GetProperty("state").GetString());

        // user, tool, assistant and the answered_by link row: all delivered.
        var items = await WaitForWritesAsync(client, session, 4, "sent");
        var userKey = $"{tenant}/{session}/{sent.MessageId}/user";
        var answerKey = $"{tenant}/{session}/{sent.ReplyId}/assistant";
        var user = Item(items, "memory", userKey);
        Assert.Equal("user", user.GetProperty("role").GetString());
        Assert.Equal(Fact, user.GetProperty("text").GetString());
        Assert.Empty(Links(user));
        var answer = Item(items, "memory", answerKey);
        Assert.Equal("assistant", answer.GetProperty("role").GetString());
        Assert.Contains("42", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal([("answers", userKey)], Links(answer));
        var tool = Assert.Single(items, i => i.GetProperty("role").GetString() == "tool");
        Assert.StartsWith($"{tenant}/{session}/{sent.ReplyId}/tool/", tool.GetProperty("key").GetString(), StringComparison.Ordinal);
        Assert.Contains("42", tool.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal([("used_by", answerKey)], Links(tool));
        var link = Item(items, "link", userKey);
        Assert.Equal([("answered_by", answerKey)], Links(link));
        Assert.All(items, i => Assert.NotEqual(JsonValueKind.Null, i.GetProperty("sent_at").ValueKind));
        var counts = await SessionMemoriesAsync(client, session);
        Assert.Equal((0, 4, 0), (counts.GetProperty("pending").GetInt32(), counts.GetProperty("sent").GetInt32(), counts.GetProperty("dead_lettered").GetInt32()));

        // The same POST again with the same key: the same answer, no second message, run or memory write.
        var replay = await SendAsync(client, session, Fact, idempotencyKey: "memory-once");
        Assert.Equal(sent, replay);
        Assert.Equal(4, (await SessionMemoriesAsync(client, session)).GetProperty("items").GetArrayLength());
        Assert.Equal(2, (await MessagesAsync(client, session)).Count);

        // The memory panel's search finds the user's message with its link to the answer.
        var found = await EventuallyAsync(
            () => client.GetFromJsonAsync<JsonElement>("/v1/memory?query=quokkafjord"),
            r => r.GetProperty("results").EnumerateArray().Any(m => m.GetProperty("key").GetString() == userKey),
            "recall to find the user's message");
        var hit = found.GetProperty("results").EnumerateArray().First(m => m.GetProperty("key").GetString() == userKey);
        Assert.Equal("user", hit.GetProperty("role").GetString());
        Assert.Equal(session.ToString(), hit.GetProperty("session_id").GetString());
        Assert.Contains(hit.GetProperty("links").EnumerateArray(), l => l.GetProperty("rel").GetString() == "answered_by" && l.GetProperty("target").GetString() == answerKey);

        // Another session of the tenant: its turn recalls the first session's fact into the model's context.
        var other = await CreateSessionAsync(client, "later");
        var before = Model.Requests.Count;
        var later = await SendAsync(client, other, "Tell me about quokkafjord");
        Assert.Equal("succeeded", (await RunEndedAsync(client, later.RunId)).GetProperty("state").GetString());
        var call = Model.Requests.Skip(before).First(r => r.LastMessageRole == "user");
        var messages = JsonDocument.Parse(call.Body).RootElement.GetProperty("messages").EnumerateArray().ToList();
        var memories = Assert.Single(messages, m => m.GetProperty("role").GetString() == "system" && m.GetProperty("content").ToString().Contains("Long-term memories", StringComparison.Ordinal));
        Assert.Contains("Remember the word quokkafjord", memories.GetProperty("content").ToString(), StringComparison.Ordinal);
        var recall = Assert.Single(await EventsAsync(Server, tenant, other, "memory.recall"));
        Assert.Equal("hit", recall.GetProperty("outcome").GetString());
        Assert.True(recall.GetProperty("results").GetInt32() >= 1);
        var matches = recall.GetProperty("matches");
        Assert.Equal(recall.GetProperty("results").GetInt32(), matches.GetProperty("text").GetInt32() + matches.GetProperty("meaning").GetInt32() + matches.GetProperty("both").GetInt32());
        Assert.True(matches.GetProperty("text").GetInt32() + matches.GetProperty("both").GetInt32() >= 1, "the memory with the word is found by its words");

        // The turn recalls by words and meaning, and its context step keeps why each memory came back (here, its words).
        var steps = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{later.RunId}/steps");
        var recalled = steps.EnumerateArray().Single(s => s.GetProperty("key").GetString() == "context").GetProperty("output").GetProperty("memories").EnumerateArray()
            .Single(m => m.GetProperty("key").GetString() == userKey);
        Assert.Contains(recalled.GetProperty("match").GetString(), new[] { "text", "both" });

        // Another tenant recalls nothing of it.
        using var stranger = Server.For(ServerFixture.NewTenant());
        var none = await stranger.GetFromJsonAsync<JsonElement>("/v1/memory?query=quokkafjord");
        Assert.Empty(none.GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task A_cached_empty_recall_is_forgotten_once_a_matching_memory_is_delivered()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        var empty = await client.GetFromJsonAsync<JsonElement>("/v1/memory?query=velvetmarmot");
        Assert.Empty(empty.GetProperty("results").EnumerateArray());
        Assert.False(empty.GetProperty("cached").GetBoolean());
        var cached = await client.GetFromJsonAsync<JsonElement>("/v1/memory?query=velvetmarmot");
        Assert.Empty(cached.GetProperty("results").EnumerateArray());
        Assert.True(cached.GetProperty("cached").GetBoolean());

        var session = await CreateSessionAsync(client);
        var sent = await SendAsync(client, session, "my velvetmarmot sleeps all day");
        await RunEndedAsync(client, sent.RunId);
        await WaitForWritesAsync(client, session, 3, "sent");

        var found = await client.GetFromJsonAsync<JsonElement>("/v1/memory?query=velvetmarmot");
        Assert.False(found.GetProperty("cached").GetBoolean());
        Assert.Contains(found.GetProperty("results").EnumerateArray(), r => r.GetProperty("key").GetString() == $"{tenant}/{session}/{sent.MessageId}/user");
        var filtered = await client.GetFromJsonAsync<JsonElement>($"/v1/memory?query=velvetmarmot&session_id={Guid.NewGuid()}");
        Assert.Empty(filtered.GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task The_model_saves_a_note_linked_to_its_answer_and_finds_it_again_with_the_recall_tool()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        var session = await CreateSessionAsync(client);
        Model.Enqueue(ScriptedResponse.Tools(new ScriptedToolCall("call_save", "memory__save", """{"text":"The user's cat is called Pelerinwhisk"}""")), ConversationFixture.ModelId);
        var saved = await SendAsync(client, session, "please keep a note about my cat");
        Assert.Equal("succeeded", (await RunEndedAsync(client, saved.RunId)).GetProperty("state").GetString());

        // user, the note, the answer and the link row: the tool's "saved" confirmation is not remembered.
        var items = await WaitForWritesAsync(client, session, 4, "sent");
        Assert.DoesNotContain(items, i => i.TryGetProperty("role", out var role) && role.GetString() == "tool");
        var answerKey = $"{tenant}/{session}/{saved.ReplyId}/assistant";
        var note = Item(items, "memory", $"{tenant}/{session}/{saved.ReplyId}/saved/call_save");
        Assert.Equal("note", note.GetProperty("role").GetString());
        Assert.Equal("The user's cat is called Pelerinwhisk", note.GetProperty("text").GetString());
        Assert.Equal([("saved_in", answerKey)], Links(note));
        Assert.Equal("memory.save", Assert.Single(await EventsAsync(Server, tenant, session, "tool.succeeded")).GetProperty("tool").GetString());

        // A later session: the model searches memory and gets the note back as the tool's output.
        var other = await CreateSessionAsync(client, "later");
        Model.Enqueue(ScriptedResponse.Tools(new ScriptedToolCall("call_recall", "memory__recall", """{"query":"Pelerinwhisk"}""")), ConversationFixture.ModelId);
        var asked = await SendAsync(client, other, "what do you remember about my pet?");
        Assert.Equal("succeeded", (await RunEndedAsync(client, asked.RunId)).GetProperty("state").GetString());
        var output = Assert.Single(await EventsAsync(Server, tenant, other, "tool.output"));
        Assert.Equal("memory.recall", output.GetProperty("tool").GetString());
        Assert.Contains("Pelerinwhisk", output.GetProperty("chunk").GetString(), StringComparison.Ordinal);

        // What the recall tool returned is already in memory: it is not remembered again as a tool output.
        var laterItems = await WaitForWritesAsync(client, other, 3, "sent");
        Assert.DoesNotContain(laterItems, i => i.TryGetProperty("role", out var role) && role.GetString() == "tool");
    }

    [Fact]
    public async Task The_memory_tools_are_denied_when_no_role_grants_them()
    {
        await using var model = await DevModelServer.StartAsync(new DevModelServerOptions());
        using var policy = PolicyFolder.Create("version: 1\ndefault_roles: [user]\nroles:\n  user: {tools: [\"time.now\"]}\n");
        var configuration = Model("dev", model, "soma-dev");
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        configuration["Soma:Policy:Directory"] = policy.Path;

        await using var server = await RunningServer.StartAsync(configuration);
        var tenant = ServerFixture.NewTenant();
        using var client = server.For(tenant);
        var session = await CreateSessionAsync(client);
        model.Enqueue(ScriptedResponse.Tools(
            new ScriptedToolCall("call_save", "memory__save", """{"text":"never kept"}"""),
            new ScriptedToolCall("call_recall", "memory__recall", """{"query":"anything"}""")), "soma-dev");
        var sent = await SendAsync(client, session, "save and recall something");
        Assert.Equal("succeeded", (await RunEndedAsync(client, sent.RunId)).GetProperty("state").GetString());

        var denied = await EventsAsync(server, tenant, session, "tool.denied");
        Assert.Equal(["memory.recall", "memory.save"], denied.Select(d => d.GetProperty("tool").GetString()).Order(StringComparer.Ordinal));
        Assert.All(denied, d => Assert.StartsWith("no role of the caller grants tool", d.GetProperty("reason").GetString(), StringComparison.Ordinal));
        Assert.Empty(await EventsAsync(server, tenant, session, "tool.output"));

        // Only the user message, the answer and their link: no tool output, no note.
        var items = await WaitForWritesAsync(client, session, 3, "sent");
        Assert.DoesNotContain(items, i => i.GetProperty("role").GetString() is "note" or "tool");
    }

    [Fact]
    public async Task Recall_parameters_are_checked_and_named_and_the_operator_endpoints_need_the_admin_role()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        foreach (var (query, parameter) in new[]
        {
            ("/v1/memory", "query"),
            ("/v1/memory?query=%20", "query"),
            ("/v1/memory?query=x&top_k=0", "top_k"),
            ("/v1/memory?query=x&top_k=51", "top_k"),
            ("/v1/memory?query=x&session_id=not-a-session", "session_id"),
            ("/v1/memory?query=x&mode=semantic", "mode"),
            ("/v1/memory?query=x&mode=meaning", "mode"),
        })
        {
            var problem = await ProblemAssert.IsProblemAsync(await client.GetAsync(query), HttpStatusCode.BadRequest, "invalid-parameter");
            Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
            Assert.Contains(parameter, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/memory?query=x&top_k=50")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/sessions/{Guid.NewGuid()}/memories")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/memory/status")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/v1/memory/flush", null)).StatusCode);
        using var anonymous = Server.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/memory?query=x")).StatusCode);

        using var admin = Server.For(tenant, "operator", "admin");
        var status = await StatusAsync(admin);
        Assert.Equal("normal", (await EventuallyAsync(() => StatusAsync(admin), s => s.GetProperty("mode").GetString() == "normal", "memory mode normal")).GetProperty("mode").GetString());
        Assert.Equal("closed", status.GetProperty("breaker").GetString());
        Assert.Equal(100_000, status.GetProperty("cap_per_tenant").GetInt32());
        Assert.Equal(JsonValueKind.Array, status.GetProperty("tenants").ValueKind);
        Assert.True(status.GetProperty("drain_rate").GetDouble() >= 0);
    }
}
