using Soma.Agents.Turns;
using Soma.Core.Streaming;
using Soma.Tools.Invocation;

namespace Soma.Agents.Tests.Turns;

/// <summary>A tool call's live output in a chat turn: what the session's watchers see while the tool runs.</summary>
public sealed class LiveToolOutputTests
{
    private static readonly SessionKey Session = new("acme", Guid.Parse("0192f0a4-0000-7000-8000-000000000001"));
    private static readonly Guid RunId = Guid.Parse("0192f0a4-0000-7000-8000-000000000002");

    [Fact]
    public async Task Each_chunk_reaches_the_sessions_watchers_as_the_calls_next_delta()
    {
        var stream = new InProcessSessionStream();
        stream.StartToolOutput(Session, RunId, "call_1", "shell.run");
        using var watcher = await stream.SubscribeAsync(Session);
        var output = new LiveToolOutput(stream, Session, RunId, "call_1");

        await output.WriteAsync("line 1\n", default);
        await output.WriteAsync(string.Empty, default);
        await output.WriteAsync("line 2\n", default);

        var deltas = Drain(watcher);
        Assert.Equal(["line 1\n", "line 2\n"], deltas.Select(d => d.Text));
        Assert.Equal([1, 2], deltas.Select(d => d.Index));
        Assert.All(deltas, d => Assert.Equal(("call_1", "shell.run", RunId), (d.ToolCallId, d.Tool, d.RunId)));
    }

    [Fact]
    public async Task A_tool_that_writes_without_end_is_cut_at_the_invokers_cap()
    {
        var stream = new InProcessSessionStream();
        stream.StartToolOutput(Session, RunId, "call_1", "shell.run");
        var output = new LiveToolOutput(stream, Session, RunId, "call_1");
        var chunk = new string('x', 7000);

        for (var i = 0; i < 5; i++)
        {
            await output.WriteAsync(chunk, default);
        }

        using var watcher = await stream.SubscribeAsync(Session);
        var live = Assert.Single(watcher.ToolOutputs);
        Assert.Equal(ToolInvoker.MaxOutputCharacters, live.Text.Length);
        Assert.Equal(3, live.Index); // 7000 + 7000 + the 2000 that fit; the rest never reached the stream.
    }

    private static List<SessionStreamItem> Drain(SessionSubscription subscription)
    {
        var items = new List<SessionStreamItem>();
        while (subscription.Items.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }
}
