using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Soma.Server.Dev;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>A chat turn end to end: HTTP in, the loopback model, tools, the session's event stream, messages and usage out.</summary>
[SupportedOSPlatform("linux")]
public sealed class TurnTests(ConversationFixture fixture) : IClassFixture<ConversationFixture>
{
    private RunningServer Server => fixture.Server;

    private DevModelServer Model => fixture.Model;

    [Fact]
    public async Task A_message_about_time_and_arithmetic_runs_both_tools_in_parallel_and_streams_the_answer_it_stores()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        var before = Model.Requests.Count;

        var sent = await SendAsync(client, session, "What time is it? And calculate 2+3*4");
        var end = await events.ReadUntilAsync(f => f.Event is "run.succeeded" or "run.failed");
        Assert.Equal("run.succeeded", end.Event);

        var durable = events.Frames.Where(f => f.Id is not null).ToList();
        Assert.Equal(Enumerable.Range(1, durable.Count).Select(i => (long?)i), durable.Select(f => f.Id));
        var user = Assert.Single(durable, f => f.Event == "conversation.user_message");
        Assert.True(durable.IndexOf(user) < durable.FindIndex(f => f.Event == "tool.requested"), "the user's message comes before the turn's tools");
        Assert.Equal(sent.MessageId, user.EventData.GetProperty("message_id").GetGuid());
        Assert.Equal("What time is it? And calculate 2+3*4", user.EventData.GetProperty("content").GetString());

        // Both tools were asked for in one model answer (one tools step) and each went requested → allowed → output → succeeded.
        var tools = durable.Where(f => f.Event!.StartsWith("tool.", StringComparison.Ordinal)).ToList();
        foreach (var tool in new[] { "time.now", "math.evaluate" })
        {
            var own = tools.Where(f => f.EventData.GetProperty("tool").GetString() == tool).Select(f => f.Event).ToList();
            Assert.Equal(["tool.requested", "tool.allowed", "tool.output", "tool.succeeded"], own);
        }

        var requested = tools.Where(f => f.Event == "tool.requested").Select(f => f.EventData).ToList();
        Assert.Equal(2, requested.Count);
        Assert.Single(requested.Select(r => r.GetProperty("step_id").GetString()).Distinct());
        Assert.Equal("2+3*4", requested.Single(r => r.GetProperty("tool").GetString() == "math.evaluate").GetProperty("arguments").GetProperty("expression").GetString());
        var mathOutput = tools.Single(f => f.Event == "tool.output" && f.EventData.GetProperty("tool").GetString() == "math.evaluate").EventData;
        Assert.Contains("14", mathOutput.GetProperty("chunk").GetString(), StringComparison.Ordinal);

        // The answer: streamed deltas that, built as the UI builds them, are exactly the stored final content.
        var final = Assert.Single(durable, f => f.Event == "conversation.assistant_final").EventData;
        Assert.Equal(sent.ReplyId, final.GetProperty("message_id").GetGuid());
        var content = final.GetProperty("content").GetString()!;
        Assert.StartsWith("The tools answered: ", content, StringComparison.Ordinal);
        Assert.Contains("14", content, StringComparison.Ordinal);
        Assert.Contains(Deltas(events.Frames, sent.ReplyId), d => d.Index > 0 && d.Text.Length > 0);
        Assert.Equal(content, UiText(events.Frames, sent.ReplyId));
        Assert.Equal("dev", final.GetProperty("model").GetString());
        Assert.Equal("stop", final.GetProperty("finish_reason").GetString());
        Assert.True(durable.IndexOf(end) > durable.FindIndex(f => f.Event == "conversation.assistant_final"));

        // Two model calls: the question, then the two tool results.
        var calls = Model.Requests.Skip(before).ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal(ConversationFixture.ModelId, c.Model));
        Assert.Equal("user", calls[0].LastMessageRole);
        Assert.Contains("time__now", calls[0].ToolNames);
        Assert.Contains("math__evaluate", calls[0].ToolNames);
        Assert.Equal("tool", calls[1].LastMessageRole);

        var messages = await MessagesAsync(client, session);
        Assert.Equal(["user", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(sent.MessageId, messages[0].GetProperty("id").GetGuid());
        Assert.Equal(sent.ReplyId, messages[1].GetProperty("id").GetGuid());
        Assert.Equal(content, messages[1].GetProperty("content").GetString());

        var usage = await client.GetFromJsonAsync<JsonElement>("/v1/usage");
        var item = Assert.Single(usage.GetProperty("items").EnumerateArray());
        Assert.Equal("dev", item.GetProperty("model").GetString());
        Assert.Equal(2, item.GetProperty("calls").GetInt64());
        var reported = final.GetProperty("usage");
        Assert.True(reported.GetProperty("input_tokens").GetInt64() > 0);
        Assert.True(reported.GetProperty("output_tokens").GetInt64() > 0);
        Assert.Equal(reported.GetProperty("input_tokens").GetInt64(), item.GetProperty("input_tokens").GetInt64());
        Assert.Equal(reported.GetProperty("output_tokens").GetInt64(), item.GetProperty("output_tokens").GetInt64());
        Assert.Equal(2, usage.GetProperty("totals").GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task A_stream_cut_after_text_retries_the_model_step_and_restarts_the_streamed_text_with_index_0()
    {
        using var client = Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        const string Answer = "alpha beta gamma delta";
        Model.Enqueue(ScriptedResponse.Text(Answer) with { CutAfterChunks = 2 }, ConversationFixture.ModelId);
        Model.Enqueue(ScriptedResponse.Text(Answer), ConversationFixture.ModelId);
        var before = Model.Requests.Count;

        var sent = await SendAsync(client, session, "tell me four words");
        var end = await events.ReadUntilAsync(f => f.Event is "run.succeeded" or "run.failed");
        Assert.Equal("run.succeeded", end.Event);

        var retrying = Assert.Single(events.Frames, f => f.Event == "step.retrying").EventData;
        Assert.Equal("model.stream_broken", retrying.GetProperty("error").GetProperty("code").GetString());
        var deltas = Deltas(events.Frames, sent.ReplyId).ToList();
        var firstText = deltas.FindIndex(d => d.Text.Length > 0);
        Assert.True(firstText >= 0, "text was streamed before the cut");
        Assert.Contains(deltas.Skip(firstText + 1), d => d.Index == 0);

        var final = Assert.Single(events.Frames, f => f.Event == "conversation.assistant_final").EventData;
        Assert.Equal(Answer, final.GetProperty("content").GetString());
        Assert.Equal(Answer, UiText(events.Frames, sent.ReplyId));
        Assert.Equal(2, Model.Requests.Count - before);
        var messages = await MessagesAsync(client, session);
        Assert.Equal(Answer, messages.Single(m => m.GetProperty("role").GetString() == "assistant").GetProperty("content").GetString());
    }
}
