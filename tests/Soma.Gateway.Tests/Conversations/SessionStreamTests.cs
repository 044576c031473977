using System.Globalization;
using System.Net;
using System.Runtime.Versioning;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary><c>GET /v1/sessions/{id}/events</c>: replay after Last-Event-ID, partial answers on reconnect, keepalives.</summary>
[SupportedOSPlatform("linux")]
public sealed class SessionStreamTests(ConversationFixture fixture) : IClassFixture<ConversationFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Replay_after_Last_Event_ID_sends_exactly_the_later_events_once_each_in_sequence()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        var sent = await SendAsync(client, session, "What time is it?");
        await RunEndedAsync(client, sent.RunId);

        List<long> all;
        using (var first = await SseConnection.OpenAsync(client, session))
        {
            await first.ReadUntilEventAsync("run.succeeded");
            all = [.. first.Frames.Where(f => f.Id is not null).Select(f => f.Id!.Value)];
        }

        Assert.True(all.Count >= 10, $"a turn with a tool has many events, got {all.Count}");
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all);
        var last = all[^1];

        foreach (var (after, viaQuery, untilQuiet) in new[] { (0L, false, false), (4L, false, false), (last - 1, false, false), (4L, true, true), (last, false, true) })
        {
            var id = after.ToString(CultureInfo.InvariantCulture);
            using var replay = viaQuery
                ? await SseConnection.OpenAsync(client, session, query: "last_event_id=" + id)
                : await SseConnection.OpenAsync(client, session, id);

            // Quiet means a keepalive: everything stored was sent before it, so nothing can come twice after it.
            await replay.ReadUntilAsync(f => untilQuiet ? f.Comment == "keepalive" : f.Id == last);
            var ids = replay.Frames.Where(f => f.Id is not null).Select(f => f.Id!.Value).ToList();
            Assert.Equal(all.Where(i => i > after), ids);
        }
    }

    [Fact]
    public async Task A_reconnect_in_the_middle_of_an_answer_gets_the_text_so_far_as_delta_0_then_the_rest()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        var first = await SseConnection.OpenAsync(client, session);
        var sent = await SendAsync(client, session, "[[words:200]] [[chunk-delay:20]]");

        // Some text arrives on the first connection, then it drops.
        await first.ReadUntilAsync(_ => Deltas(first.Frames, sent.ReplyId).Count(d => d.Text.Length > 0) >= 10);
        var seenBefore = UiText(first.Frames, sent.ReplyId);
        var lastId = first.Frames.Where(f => f.Id is not null).Max(f => f.Id!.Value);
        first.Dispose();

        using var second = await SseConnection.OpenAsync(client, session, lastId.ToString(CultureInfo.InvariantCulture));
        var final = (await second.ReadUntilEventAsync("conversation.assistant_final")).EventData;
        var content = final.GetProperty("content").GetString()!;
        Assert.Equal(string.Join(' ', Enumerable.Range(1, 200).Select(i => $"w{i}")), content);

        var deltas = Deltas(second.Frames, sent.ReplyId).ToList();
        var (index, prefix) = deltas[0];
        Assert.Equal(0, index);
        Assert.StartsWith(seenBefore, prefix, StringComparison.Ordinal);
        Assert.StartsWith(prefix, content, StringComparison.Ordinal);
        Assert.True(prefix.Length < content.Length, "the reconnect happened while the answer was still being written");
        Assert.Contains(deltas.Skip(1), d => d.Index > 0);
        Assert.Equal(content, UiText(second.Frames, sent.ReplyId));

        var ids = second.Frames.Where(f => f.Id is not null).Select(f => f.Id!.Value).ToList();
        Assert.Equal(Enumerable.Range((int)lastId + 1, ids.Count).Select(i => (long)i), ids);
    }

    [Fact]
    public async Task An_idle_stream_gets_a_keepalive_comment()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        var keepalive = await events.ReadUntilAsync(f => f.Comment is not null);
        Assert.Equal("keepalive", keepalive.Comment);
        Assert.Null(keepalive.Event);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999999")]
    public async Task An_invalid_Last_Event_ID_is_400(string lastEventId)
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{session}/events");
        request.Headers.Add("Last-Event-ID", lastEventId);
        var problem = await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Contains("Last-Event-ID", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(
            await client.GetAsync($"/v1/sessions/{session}/events?last_event_id={Uri.EscapeDataString(lastEventId)}"), HttpStatusCode.BadRequest, "invalid-parameter");
    }
}
