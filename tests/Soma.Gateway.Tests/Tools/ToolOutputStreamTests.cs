using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Soma.Gateway.Tests.Conversations;
using Soma.Testing.Tools;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Tools;

/// <summary>
/// A streaming tool on the session's event stream: its output arrives as live <c>tool.output_delta</c> events while it
/// runs, before the durable <c>tool.output</c> that carries the whole of it; a client that reconnects mid-tool gets the
/// output so far as seq 0, then the rest, with no gap and no duplicate.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ToolOutputStreamTests(StreamingToolFixture fixture) : IClassFixture<StreamingToolFixture>
{
    private const string Delta = "tool.output_delta";

    [Fact]
    public async Task A_slow_tools_deltas_arrive_live_before_its_durable_output_which_carries_the_whole_of_it()
    {
        using var client = fixture.Server.For(ServerFixture.NewTenant(), "operator", "admin");
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        var sent = await SendAsync(client, session, StreamingToolFixture.CountMessage(8, holdAfter: 4));

        // The tool is held after line 4: what the client has now came live, with nothing durable of the tool yet.
        await events.ReadUntilAsync(_ => ToolText(events.Frames).Contains("line 4\n", StringComparison.Ordinal));
        Assert.Equal(CountTool.Expected(4), ToolText(events.Frames));
        Assert.DoesNotContain(events.Frames, f => f.Event?.StartsWith("tool.", StringComparison.Ordinal) == true && f.Event != Delta);
        var live = events.Frames.Where(f => f.Event == Delta).ToList();
        Assert.All(live, f => Assert.Null(f.Id));
        Assert.All(live, f => Assert.Equal(("agent.tools.v1", sent.RunId.ToString()), (f.Envelope.GetProperty("schema").GetString(), f.Envelope.GetProperty("run_id").GetString())));
        Assert.All(live, f => Assert.Equal("test.count", f.EventData.GetProperty("tool").GetString()));

        fixture.Tool.Release();
        var output = (await events.ReadUntilEventAsync("tool.output")).EventData;
        var succeeded = (await events.ReadUntilEventAsync("tool.succeeded")).EventData;
        var final = (await events.ReadUntilEventAsync("conversation.assistant_final")).EventData;

        var callId = output.GetProperty("tool_call_id").GetString()!;
        var deltas = events.Frames.TakeWhile(f => f.Event != "tool.output").Where(f => f.Event == Delta).Select(f => f.EventData).ToList();
        Assert.All(deltas, d => Assert.Equal(callId, d.GetProperty("tool_call_id").GetString()));
        Assert.Equal(Enumerable.Range(0, 9), deltas.Select(d => d.GetProperty("seq").GetInt32()));
        Assert.Equal(CountTool.Expected(8), ToolText(events.Frames));
        Assert.DoesNotContain(events.Frames.SkipWhile(f => f.Event != "tool.output"), f => f.Event == Delta);

        Assert.Equal(CountTool.Expected(8), output.GetProperty("chunk").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CountTool.Expected(8)))), output.GetProperty("sha256").GetString());
        Assert.False(output.GetProperty("truncated").GetBoolean());
        Assert.Equal("none", succeeded.GetProperty("sandbox").GetString());
        Assert.Equal("The tool answered: " + CountTool.Expected(8).Trim() + ".", final.GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_reconnect_mid_tool_gets_the_output_so_far_as_seq_0_then_the_rest_without_gap_or_duplicate()
    {
        using var client = fixture.Server.For(ServerFixture.NewTenant(), "operator", "admin");
        var session = await CreateSessionAsync(client);
        var first = await SseConnection.OpenAsync(client, session);
        await SendAsync(client, session, StreamingToolFixture.CountMessage(9, holdAfter: 5));
        await first.ReadUntilAsync(_ => ToolText(first.Frames).Contains("line 5\n", StringComparison.Ordinal));
        var lastId = first.Frames.Where(f => f.Id is not null).Max(f => f.Id!.Value);
        first.Dispose();

        using var second = await SseConnection.OpenAsync(client, session, lastId.ToString(CultureInfo.InvariantCulture));
        var snapshot = (await second.ReadUntilAsync(f => f.Event == Delta)).EventData;
        Assert.Equal(0, snapshot.GetProperty("seq").GetInt32());
        Assert.Equal(CountTool.Expected(5), snapshot.GetProperty("chunk").GetString());

        fixture.Tool.Release();
        var output = (await second.ReadUntilEventAsync("tool.output")).EventData;
        var deltas = second.Frames.Where(f => f.Event == Delta).Select(f => f.EventData).ToList();
        Assert.Equal(Enumerable.Range(0, 5), deltas.Select(d => d.GetProperty("seq").GetInt32()));
        Assert.Equal(Enumerable.Range(6, 4).Select(i => $"line {i}\n"), deltas.Skip(1).Select(d => d.GetProperty("chunk").GetString()));
        Assert.Equal(output.GetProperty("chunk").GetString(), ToolText(second.Frames));
        Assert.Equal(CountTool.Expected(9), ToolText(second.Frames));

        // Durable events resumed exactly after the last one the first connection saw.
        var ids = second.Frames.Where(f => f.Id is not null).Select(f => f.Id!.Value).ToList();
        Assert.Equal(Enumerable.Range((int)lastId + 1, ids.Count).Select(i => (long)i), ids);
    }

    [Fact]
    public async Task A_client_that_connects_after_the_tool_finished_gets_only_the_durable_output()
    {
        using var client = fixture.Server.For(ServerFixture.NewTenant(), "operator", "admin");
        var session = await CreateSessionAsync(client);
        var sent = await SendAsync(client, session, StreamingToolFixture.CountMessage(3));
        await RunEndedAsync(client, sent.RunId);

        using var events = await SseConnection.OpenAsync(client, session);
        await events.ReadUntilAsync(f => f.Comment == "keepalive");
        Assert.DoesNotContain(events.Frames, f => f.Event == Delta);
        Assert.Equal(CountTool.Expected(3), Assert.Single(events.Frames, f => f.Event == "tool.output").EventData.GetProperty("chunk").GetString());
    }

    /// <summary>The tool's output as the UI builds it from the deltas: seq 0 sets the text, later ones append.</summary>
    private static string ToolText(IEnumerable<SseFrame> frames)
    {
        var text = new StringBuilder();
        foreach (var data in frames.Where(f => f.Event == Delta).Select(f => f.EventData))
        {
            if (data.GetProperty("seq").GetInt32() == 0)
            {
                text.Clear();
            }

            text.Append(data.GetProperty("chunk").GetString());
        }

        return text.ToString();
    }
}
