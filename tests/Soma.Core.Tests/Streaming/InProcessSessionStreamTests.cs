using System.Text;
using System.Threading.Channels;
using Soma.Core.Streaming;

namespace Soma.Core.Tests.Streaming;

/// <summary>
/// The in-process session stream. Items are written to a subscriber's channel by the publishing call itself, so what a
/// subscriber has received is read with TryRead right after; only the races below start threads.
/// </summary>
public sealed class InProcessSessionStreamTests
{
    private static readonly SessionKey Session = new("tenant-a", Guid.Parse("0195f3a0-0000-7000-8000-000000000001"));
    private static readonly Guid Run = Guid.Parse("0195f3a0-0000-7000-8000-0000000000aa");
    private static readonly Guid Message = Guid.Parse("0195f3a0-0000-7000-8000-0000000000bb");

    [Fact]
    public async Task A_subscriber_sees_an_answer_s_deltas_in_order_with_rising_indexes()
    {
        var stream = new InProcessSessionStream();
        using var subscription = await stream.SubscribeAsync(Session);

        stream.StartAnswer(Session, Run, Message, "Hel");
        stream.AppendAnswer(Session, Message, "lo");
        stream.AppendAnswer(Session, Message, "");
        stream.AppendAnswer(Session, Message, " world");

        var items = Received(subscription);
        Assert.All(items, i => Assert.Equal((SessionStreamItemKind.Delta, Run, Message), (i.Kind, i.RunId, i.MessageId)));
        Assert.Equal([(0, "Hel"), (1, "lo"), (2, " world")], items.Select(i => (i.Index, i.Text)));
    }

    [Fact]
    public async Task Every_subscriber_of_a_session_sees_the_same_items_and_other_sessions_see_none()
    {
        var stream = new InProcessSessionStream();
        var other = Session with { SessionId = Guid.Parse("0195f3a0-0000-7000-8000-000000000002") };
        using var first = await stream.SubscribeAsync(Session);
        using var second = await stream.SubscribeAsync(Session);
        using var elsewhere = await stream.SubscribeAsync(other);
        using var otherTenant = await stream.SubscribeAsync(Session with { TenantId = "tenant-b" });

        stream.StartAnswer(Session, Run, Message, "a");
        stream.AppendAnswer(Session, Message, "b");
        stream.NotifyDurable(Session);

        var seen = Received(first);
        Assert.Equal([SessionStreamItemKind.Delta, SessionStreamItemKind.Delta, SessionStreamItemKind.Durable], seen.Select(i => i.Kind));
        Assert.Equal(seen, Received(second));
        Assert.Empty(Received(elsewhere));
        Assert.Empty(Received(otherTenant));
        Assert.Equal(4, stream.SubscriberCount);
    }

    [Fact]
    public async Task A_late_subscriber_starts_from_a_snapshot_and_then_gets_only_what_follows_it()
    {
        var stream = new InProcessSessionStream();
        using var early = await stream.SubscribeAsync(Session);
        stream.StartAnswer(Session, Run, Message, "Hel");
        stream.AppendAnswer(Session, Message, "lo");

        using var late = await stream.SubscribeAsync(Session);
        stream.AppendAnswer(Session, Message, " world");

        var snapshot = Assert.Single(late.Answers);
        Assert.Equal(new AnswerSnapshot(Run, Message, "Hello", 1), snapshot);
        var live = Assert.Single(Received(late));
        Assert.Equal((2, " world"), (live.Index, live.Text));

        // No gap and no overlap: both subscribers put the same text together.
        Assert.Equal("Hello world", Assemble(early));
        Assert.Equal("Hello world", snapshot.Text + live.Text);
    }

    [Fact]
    public async Task A_late_subscriber_gets_the_tool_outputs_in_progress_and_ending_a_run_s_outputs_leaves_the_others()
    {
        var stream = new InProcessSessionStream();
        var otherRun = Guid.Parse("0195f3a0-0000-7000-8000-0000000000cc");
        using var early = await stream.SubscribeAsync(Session);
        stream.StartToolOutput(Session, Run, "call-1", "shell");
        stream.AppendToolOutput(Session, Run, "call-1", "line 1\n");
        stream.StartToolOutput(Session, otherRun, "call-2", "http");

        using var late = await stream.SubscribeAsync(Session);
        Assert.Equal(
            [new ToolOutputSnapshot(Run, "call-1", "shell", "line 1\n", 1), new ToolOutputSnapshot(otherRun, "call-2", "http", "", 0)],
            late.ToolOutputs.OrderBy(t => t.ToolCallId, StringComparer.Ordinal));
        Assert.Equal(
            [(SessionStreamItemKind.ToolOutputDelta, "call-1", "shell", 0, ""), (SessionStreamItemKind.ToolOutputDelta, "call-1", "shell", 1, "line 1\n"), (SessionStreamItemKind.ToolOutputDelta, "call-2", "http", 0, "")],
            Received(early).Select(i => (i.Kind, i.ToolCallId, i.Tool, i.Index, i.Text)));

        stream.EndToolOutputs(Session, Run);
        stream.AppendToolOutput(Session, Run, "call-1", "ignored: the output is durable now");
        using var later = await stream.SubscribeAsync(Session);
        Assert.Equal([new ToolOutputSnapshot(otherRun, "call-2", "http", "", 0)], later.ToolOutputs);
        Assert.Empty(Received(early));
    }

    [Fact]
    public async Task An_ended_answer_is_neither_in_a_new_snapshot_nor_streamed_any_more()
    {
        var stream = new InProcessSessionStream();
        using var subscription = await stream.SubscribeAsync(Session);
        stream.StartAnswer(Session, Run, Message, "done");
        Received(subscription);

        stream.EndAnswer(Session, Message);
        stream.AppendAnswer(Session, Message, " and more");

        Assert.Empty(Received(subscription));
        Assert.Empty(stream.Snapshot(Session));
        using var late = await stream.SubscribeAsync(Session);
        Assert.Empty(late.Answers);
    }

    [Fact]
    public async Task Restarting_an_answer_after_a_retry_starts_its_text_over_at_index_zero()
    {
        var stream = new InProcessSessionStream();
        using var subscription = await stream.SubscribeAsync(Session);
        stream.StartAnswer(Session, Run, Message, "first try");
        stream.AppendAnswer(Session, Message, " went wrong");

        stream.StartAnswer(Session, Run, Message, "second");
        stream.AppendAnswer(Session, Message, " try");

        Assert.Equal([(0, "first try"), (1, " went wrong"), (0, "second"), (1, " try")], Received(subscription).Select(i => (i.Index, i.Text)));
        Assert.Equal([new AnswerSnapshot(Run, Message, "second try", 1)], stream.Snapshot(Session));
    }

    [Fact]
    public async Task Disposing_a_subscription_completes_its_items_stops_delivery_and_counts_once()
    {
        var stream = new InProcessSessionStream();
        var leaving = await stream.SubscribeAsync(Session);
        using var staying = await stream.SubscribeAsync(Session);
        stream.StartAnswer(Session, Run, Message, "before");
        Assert.Equal(2, stream.SubscriberCount);

        leaving.Dispose();
        leaving.Dispose();
        stream.AppendAnswer(Session, Message, " after");

        Assert.Equal(1, stream.SubscriberCount);
        Assert.Equal(["before"], Received(leaving).Select(i => i.Text));
        await leaving.Items.Completion;
        Assert.Equal(["before", " after"], Received(staying).Select(i => i.Text));
    }

    [Fact]
    public async Task A_session_everyone_left_can_be_subscribed_to_again()
    {
        var stream = new InProcessSessionStream();
        var first = await stream.SubscribeAsync(Session);
        first.Dispose();

        using var again = await stream.SubscribeAsync(Session);
        stream.StartAnswer(Session, Run, Message, "hello");

        Assert.Equal(["hello"], Received(again).Select(i => i.Text));
        Assert.Equal(1, stream.SubscriberCount);
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_is_dropped_with_an_error_after_what_it_had_queued_and_the_others_go_on()
    {
        var stream = new InProcessSessionStream();
        using var slow = await stream.SubscribeAsync(Session);
        using var keepingUp = await stream.SubscribeAsync(Session);
        var kept = new List<SessionStreamItem>();

        stream.StartAnswer(Session, Run, Message, "0");
        for (var i = 1; i <= InProcessSessionStream.SubscriberCapacity + 10; i++)
        {
            stream.AppendAnswer(Session, Message, "x");
            kept.AddRange(Received(keepingUp));
        }

        kept.AddRange(Received(keepingUp));
        Assert.Equal(InProcessSessionStream.SubscriberCapacity + 11, kept.Count);
        Assert.Equal(Enumerable.Range(0, InProcessSessionStream.SubscriberCapacity + 11), kept.Select(i => i.Index));

        // The slow one keeps what was queued, in order, then learns it fell behind (and reconnects from the log).
        var queued = Received(slow);
        Assert.Equal(Enumerable.Range(0, InProcessSessionStream.SubscriberCapacity), queued.Select(i => i.Index));
        await Assert.ThrowsAsync<ChannelClosedException>(() => slow.Items.Completion);
        Assert.False(slow.Items.TryRead(out _));

        // Still open until it leaves.
        Assert.Equal(2, stream.SubscriberCount);
        slow.Dispose();
        Assert.Equal(1, stream.SubscriberCount);
    }

    [Fact]
    public async Task Subscribing_while_an_answer_streams_never_loses_or_repeats_text()
    {
        var stream = new InProcessSessionStream();
        const int Chunks = 3000;
        var expected = "start" + string.Concat(Enumerable.Range(0, Chunks).Select(i => $"<{i}>"));
        stream.StartAnswer(Session, Run, Message, "start");

        var subscribing = Task.Run(async () =>
        {
            var subscriptions = new List<SessionSubscription>();
            for (var i = 0; i < 50; i++)
            {
                subscriptions.Add(await stream.SubscribeAsync(Session));
                await Task.Yield();
            }

            return subscriptions;
        });
        var writing = Task.Run(() =>
        {
            for (var i = 0; i < Chunks; i++)
            {
                stream.AppendAnswer(Session, Message, $"<{i}>");
            }
        });
        await Task.WhenAll(subscribing, writing).WaitAsync(TimeSpan.FromSeconds(60));

        foreach (var subscription in await subscribing)
        {
            using (subscription)
            {
                var snapshot = Assert.Single(subscription.Answers);
                var live = Received(subscription);
                Assert.Equal(Enumerable.Range(snapshot.Index + 1, live.Count), live.Select(i => i.Index));
                Assert.Equal(expected, snapshot.Text + string.Concat(live.Select(i => i.Text)));
            }
        }
    }

    [Fact]
    public async Task An_answer_started_while_the_last_subscriber_leaves_is_not_lost()
    {
        var stream = new InProcessSessionStream();
        const int Leaves = 300_000;
        var left = 0;

        // One thread comes and goes as the session's only subscriber (each leave may drop the session's topic) while
        // another starts answers: an answer must never land in a topic that is on its way out. The race is counted in
        // leaves, not time, so a loaded machine runs it as thoroughly as an idle one.
        var churning = Task.Run(async () =>
        {
            for (var i = 0; i < Leaves; i++)
            {
                (await stream.SubscribeAsync(Session)).Dispose();
                Volatile.Write(ref left, i + 1);
            }
        });
        var (rounds, lost) = await Task.Run(() =>
        {
            var rounds = 0;
            var lost = 0;
            while (Volatile.Read(ref left) < Leaves)
            {
                var message = new Guid(rounds++, 0, 0, new byte[8]);
                stream.StartAnswer(Session, Run, message, "hello");
                if (stream.Snapshot(Session).Count != 1)
                {
                    lost++;
                }

                stream.EndAnswer(Session, message);
            }

            return (rounds, lost);
        }).WaitAsync(TimeSpan.FromSeconds(120));

        await churning;
        Assert.True(lost == 0, $"{lost} of {rounds} answers were lost");
    }

    // What the subscriber has been sent so far.
    private static List<SessionStreamItem> Received(SessionSubscription subscription)
    {
        var items = new List<SessionStreamItem>();
        while (subscription.Items.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }

    // The answer's text as a subscriber puts it together: index 0 starts it over, later deltas append.
    private static string Assemble(SessionSubscription subscription)
    {
        var text = new StringBuilder();
        foreach (var item in Received(subscription))
        {
            if (item.Index == 0)
            {
                text.Clear();
            }

            text.Append(item.Text);
        }

        return text.ToString();
    }
}
