using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Soma.Core.Storage;
using Soma.Gateway.Auth;
using Soma.Memory.WriteThrough;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary><c>POST /v1/sessions/{id}/messages</c> and <c>GET /v1/sessions/{id}/messages</c>: auth, tenancy, idempotency, limits, paging.</summary>
[SupportedOSPlatform("linux")]
public sealed class MessageApiTests(ConversationFixture fixture) : IClassFixture<ConversationFixture>
{
    private const int MaxMessageBytes = 64 * 1024;

    private RunningServer Server => fixture.Server;

    public static TheoryData<string> BadTokens => ["missing", "expired", "signed with another key"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Posting_a_message_without_a_valid_token_is_401_and_writes_nothing(string token)
    {
        var tenant = ServerFixture.NewTenant();
        using var owner = Server.For(tenant);
        var session = await CreateSessionAsync(owner);
        using var client = Server.Anonymous();
        var (expectedType, bearer) = token switch
        {
            "missing" => ("token-missing", null),
            "expired" => ("token-expired", Server.IssueToken(tenant, lifetime: TimeSpan.FromHours(1), clock: new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3)))),
            _ => ("token-invalid", new TokenIssuer(RandomNumberGenerator.GetBytes(32), "soma", "soma", TimeProvider.System).Issue(tenant, "mallory", [], TimeSpan.FromHours(1))),
        };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        var response = await PostMessageAsync(client, session, Body("let me in"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, expectedType);
        Assert.Empty(await MessagesAsync(owner, session));
    }

    [Fact]
    public async Task Another_tenants_session_is_404_for_posting_reading_and_streaming_messages()
    {
        using var owner = Server.For(ServerFixture.NewTenant());
        using var other = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(owner);

        await ProblemAssert.IsProblemAsync(await PostMessageAsync(other, session, Body("intrude")), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await other.GetAsync($"/v1/sessions/{session}/messages"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await other.GetAsync($"/v1/sessions/{session}/events"), HttpStatusCode.NotFound, "not-found");
        Assert.Empty(await MessagesAsync(owner, session));
        var runs = await other.GetFromJsonAsync<JsonElement>("/v1/runs");
        Assert.Equal(0, runs.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_same_Idempotency_Key_and_body_answer_the_same_ids_and_store_one_message_and_one_run()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        var first = await SendAsync(client, session, "only once", "key-1");
        var again = await SendAsync(client, session, "only once", "key-1");
        Assert.Equal(first, again);

        await RunEndedAsync(client, first.RunId);
        var third = await SendAsync(client, session, "only once", "key-1");
        Assert.Equal(first, third);
        await AssertOneTurnAsync(client, session, first);
    }

    [Fact]
    public async Task A_message_s_event_is_published_in_its_session_s_order_and_kept_in_the_session_log_not_the_partition_log()
    {
        var tenant = ServerFixture.NewTenant();
        using var client = Server.For(tenant);
        var session = await CreateSessionAsync(client);
        var accepted = await SendAsync(client, session, "where does my message go");

        var services = Server.Services;
        var userMessage = Assert.Single(
            await services.GetRequiredService<ISessionStore>().ListEventsAsync(tenant, session, 0, 100),
            e => e.Type == "conversation.user_message");
        var outbox = services.GetRequiredService<IOutbox>();
        var published = (await outbox.GetAsync(tenant, userMessage.EventId))!.Message;
        Assert.Equal(("conversation.v1", session.ToString(), userMessage.Payload), (published.Topic, published.PartitionKey, published.Payload));
        Assert.False(published.InPartitionLog, "the session's log keeps the event; the outbox does not list it again");
        Assert.Empty(await outbox.ListPartitionAsync(tenant, session.ToString(), null, 100));

        // The memory write of the message and the run's events are listed by their partitions.
        Assert.Contains(await outbox.ListPartitionAsync(tenant, MemoryKeys.Partition(session), null, 100), w => w.Message.Payload.Contains(accepted.MessageId.ToString(), StringComparison.Ordinal));
        Assert.Contains(await outbox.ListPartitionAsync(tenant, accepted.RunId.ToString(), null, 100), e => e.Message.Topic == "agent.runs.v1");
    }

    [Fact]
    public async Task The_same_Idempotency_Key_with_another_body_is_409()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        var first = await SendAsync(client, session, "the first message", "key-2");

        var conflict = await ProblemAssert.IsProblemAsync(await PostMessageAsync(client, session, Body("another message"), "key-2"), HttpStatusCode.Conflict, "conflict");
        Assert.Contains("Idempotency-Key", conflict.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var metadata = JsonSerializer.Serialize(new { content = "the first message", metadata = new { x = 1 } });
        await ProblemAssert.IsProblemAsync(await PostMessageAsync(client, session, metadata, "key-2"), HttpStatusCode.Conflict, "conflict");
        await AssertOneTurnAsync(client, session, first);
    }

    [Fact]
    public async Task Ten_concurrent_posts_with_one_Idempotency_Key_store_exactly_one_message()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostMessageAsync(client, session, Body("racing"), "key-3")));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.All(responses.Zip(bodies), r => Assert.True(r.First.StatusCode == HttpStatusCode.Accepted, $"{(int)r.First.StatusCode}: {r.Second}"));
        var accepted = bodies.Select(Accepted).Distinct().ToList();
        await AssertOneTurnAsync(client, session, Assert.Single(accepted));
    }

    [Fact]
    public async Task Content_over_MaxMessageBytes_in_UTF8_is_413_naming_the_setting()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);

        foreach (var content in new[] { new string('a', MaxMessageBytes + 1), new string('€', (MaxMessageBytes / 3) + 1) })
        {
            var problem = await ProblemAssert.IsProblemAsync(await PostMessageAsync(client, session, Body(content)), HttpStatusCode.RequestEntityTooLarge, "body-too-large");
            Assert.Contains("Soma:Gateway:MaxMessageBytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Empty(await MessagesAsync(client, session));
        var atTheLimit = await SendAsync(client, session, new string('a', MaxMessageBytes));
        Assert.Equal("succeeded", (await RunEndedAsync(client, atTheLimit.RunId)).GetProperty("state").GetString());
    }

    public static TheoryData<string> MissingContent => ["{}", """{"content":""}""", """{"content":"  \n\t "}""", """{"content":null}""", """{"content":5}""", """{"content":["a"]}""", """{"content":{"text":"a"}}"""];

    [Theory]
    [MemberData(nameof(MissingContent))]
    public async Task Missing_blank_or_non_string_content_is_400_pointing_at_content(string body)
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        var problem = await ProblemAssert.IsProblemAsync(await PostMessageAsync(client, session, body), HttpStatusCode.BadRequest, "invalid-field");
        Assert.Equal("/content", problem.GetProperty("pointer").GetString());
        Assert.Empty(await MessagesAsync(client, session));
    }

    [Theory]
    [InlineData("{\"content\": ")]
    [InlineData("{\"content\": \"unterminated}")]
    [InlineData("content=hello")]
    public async Task Malformed_JSON_is_400(string body)
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        await ProblemAssert.IsProblemAsync(await PostMessageAsync(client, session, body), HttpStatusCode.BadRequest, "malformed-json");
        Assert.Empty(await MessagesAsync(client, session));
    }

    [Fact]
    public async Task Messages_page_oldest_first_with_limit_and_cursor_each_exactly_once()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        for (var i = 0; i < 4; i++)
        {
            var sent = await SendAsync(client, session, $"message {i}");
            await RunEndedAsync(client, sent.RunId);
        }

        var all = await MessagesAsync(client, session);
        Assert.Equal(8, all.Count);
        Assert.Equal(["message 0", "You said: message 0", "message 1", "You said: message 1"], all.Take(4).Select(m => m.GetProperty("content").GetString()));

        var seen = new List<JsonElement>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{session}/messages?limit=3" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)));
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 1, 3);
            seen.AddRange(items);
            cursor = page.GetProperty("next_cursor") is { ValueKind: JsonValueKind.String } next ? next.GetString() : null;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(all.Select(m => m.GetProperty("id").GetGuid()), seen.Select(m => m.GetProperty("id").GetGuid()));
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/v1/sessions/{session}/messages?limit=0"), HttpStatusCode.BadRequest, "invalid-parameter");
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/v1/sessions/{session}/messages?cursor=nope"), HttpStatusCode.BadRequest, "invalid-parameter");
    }

    private static async Task AssertOneTurnAsync(HttpClient client, Guid session, AcceptedMessage accepted)
    {
        var run = await RunEndedAsync(client, accepted.RunId);
        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        var messages = await MessagesAsync(client, session);
        Assert.Equal([accepted.MessageId, accepted.ReplyId], messages.Select(m => m.GetProperty("id").GetGuid()));
        var runs = await client.GetFromJsonAsync<JsonElement>("/v1/runs?workflow=chat.turn");
        Assert.Equal([accepted.RunId], runs.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
    }
}
