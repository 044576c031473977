using System.Text;
using NATS.Client.Core;
using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Tests.Live;

/// <summary>
/// Live tool output, the same contract on every <see cref="ISessionStream"/>: a worker writes a tool call's output, a
/// gateway subscribes before, during and after it and rebuilds it exactly (no gap, no duplicate); a retried step starts
/// over; ending a run's outputs forgets only that run's. Each adapter inherits the suite.
/// </summary>
public abstract class ToolOutputStreamCompliance
{
    private const int Chunks = 120;

    /// <summary>A worker side and a gateway side (the same stream in-process, two processes on NATS).</summary>
    protected abstract Task<StreamPair> StartAsync();

    [Fact]
    public async Task A_subscriber_from_before_the_output_starts_rebuilds_it_exactly()
    {
        await using var pair = await StartAsync();
        var key = NewSession();
        var runId = Guid.NewGuid();
        using var subscription = await pair.Gateway.SubscribeAsync(key);
        Assert.Empty(subscription.ToolOutputs);

        pair.Worker.StartToolOutput(key, runId, "call_1", "test.count");
        var expected = Append(pair.Worker, key, runId, "call_1", 0, Chunks);
        pair.Worker.EndToolOutputs(key, runId);
        pair.Worker.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(expected, reader.ToolTexts[(runId, "call_1")]);
        var deltas = reader.Items.Where(i => i.Kind == SessionStreamItemKind.ToolOutputDelta).ToList();
        Assert.Equal(Enumerable.Range(0, Chunks + 1), deltas.Select(d => d.Index));
        Assert.Equal(string.Empty, deltas[0].Text);
        Assert.All(deltas, d => Assert.Equal(("test.count", "call_1", runId), (d.Tool, d.ToolCallId, d.RunId)));
        Assert.Empty(reader.Texts);
    }

    [Fact]
    public async Task A_subscriber_from_mid_output_starts_from_the_snapshot_and_rebuilds_it_exactly()
    {
        await using var pair = await StartAsync();
        var key = NewSession();
        var runId = Guid.NewGuid();

        pair.Worker.StartToolOutput(key, runId, "call_1", "test.count");
        var expected = new StringBuilder(Append(pair.Worker, key, runId, "call_1", 0, Chunks / 2));
        await pair.ReadyForSnapshotAsync(key);

        using var subscription = await pair.Gateway.SubscribeAsync(key);
        var snapshot = Assert.Single(subscription.ToolOutputs);
        Assert.Equal(new ToolOutputSnapshot(runId, "call_1", "test.count", expected.ToString(), Chunks / 2), snapshot);
        Assert.Empty(subscription.Answers);

        expected.Append(Append(pair.Worker, key, runId, "call_1", Chunks / 2, Chunks));
        pair.Worker.EndToolOutputs(key, runId);
        pair.Worker.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(expected.ToString(), reader.ToolTexts[(runId, "call_1")]);
        Assert.Equal(
            Enumerable.Range(Chunks / 2 + 1, Chunks / 2),
            reader.Items.Where(i => i.Kind == SessionStreamItemKind.ToolOutputDelta).Select(i => i.Index));
    }

    [Fact]
    public async Task A_retried_output_starts_over_with_index_0_for_a_subscriber_that_had_a_snapshot()
    {
        await using var pair = await StartAsync();
        var key = NewSession();
        var runId = Guid.NewGuid();

        pair.Worker.StartToolOutput(key, runId, "call_1", "test.count");
        Append(pair.Worker, key, runId, "call_1", 0, 30);
        await pair.ReadyForSnapshotAsync(key);
        using var subscription = await pair.Gateway.SubscribeAsync(key);
        Assert.Equal(30, Assert.Single(subscription.ToolOutputs).Index);

        pair.Worker.StartToolOutput(key, runId, "call_1", "test.count");
        var expected = Append(pair.Worker, key, runId, "call_1", 0, 5);
        pair.Worker.EndToolOutputs(key, runId);
        pair.Worker.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(expected, reader.ToolTexts[(runId, "call_1")]);
    }

    [Fact]
    public async Task Outputs_of_parallel_calls_and_an_answer_of_one_session_stay_apart()
    {
        await using var pair = await StartAsync();
        var key = NewSession();
        var (runId, messageId) = (Guid.NewGuid(), Guid.NewGuid());
        using var subscription = await pair.Gateway.SubscribeAsync(key);

        pair.Worker.StartAnswer(key, runId, messageId, "thinking|");
        pair.Worker.StartToolOutput(key, runId, "call_a", "test.count");
        pair.Worker.StartToolOutput(key, runId, "call_b", "shell.run");
        var (a, b) = (new StringBuilder(), new StringBuilder());
        for (var i = 0; i < 40; i++)
        {
            a.Append(Append(pair.Worker, key, runId, "call_a", i, i + 1));
            b.Append(Append(pair.Worker, key, runId, "call_b", i, i + 1));
        }

        pair.Worker.AppendAnswer(key, messageId, "more");
        pair.Worker.EndToolOutputs(key, runId);
        pair.Worker.EndAnswer(key, messageId);
        pair.Worker.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(a.ToString(), reader.ToolTexts[(runId, "call_a")]);
        Assert.Equal(b.ToString(), reader.ToolTexts[(runId, "call_b")]);
        Assert.Equal("thinking|more", reader.Texts[messageId]);
        Assert.Equal(["shell.run"], reader.Items.Where(i => i.ToolCallId == "call_b").Select(i => i.Tool).Distinct());
    }

    [Fact]
    public async Task Ending_a_runs_outputs_forgets_them_and_no_other_runs()
    {
        await using var pair = await StartAsync();
        var key = NewSession();
        var (ended, running) = (Guid.NewGuid(), Guid.NewGuid());

        pair.Worker.StartToolOutput(key, ended, "call_1", "test.count");
        Append(pair.Worker, key, ended, "call_1", 0, 10);
        pair.Worker.StartToolOutput(key, running, "call_1", "test.count");
        var kept = Append(pair.Worker, key, running, "call_1", 0, 3);
        pair.Worker.EndToolOutputs(key, ended);

        // Appending to an ended output is a no-op, not a fragment.
        Append(pair.Worker, key, ended, "call_1", 10, 12);
        await pair.ReadyForSnapshotAsync(key);
        using var subscription = await pair.Gateway.SubscribeAsync(key);
        var snapshot = Assert.Single(subscription.ToolOutputs);
        Assert.Equal((running, kept), (snapshot.RunId, snapshot.Text));

        pair.Worker.EndToolOutputs(key, running);
        await pair.EndedAsync(key);
        using var after = await pair.Gateway.SubscribeAsync(key);
        Assert.Empty(after.ToolOutputs);
    }

    private static SessionKey NewSession() => new("acme", Guid.NewGuid());

    private static string Append(ISessionStream stream, SessionKey key, Guid runId, string toolCallId, int from, int to)
    {
        var text = new StringBuilder();
        for (var i = from; i < to; i++)
        {
            var chunk = $"line {i}\n";
            stream.AppendToolOutput(key, runId, toolCallId, chunk);
            text.Append(chunk);
        }

        return text.ToString();
    }

    /// <summary>Both sides of one stream adapter.</summary>
    protected sealed class StreamPair(ISessionStream worker, ISessionStream gateway, Func<SessionKey, Task> readyForSnapshot, Func<SessionKey, Task> ended, Func<ValueTask> dispose)
        : IAsyncDisposable
    {
        public ISessionStream Worker { get; } = worker;

        public ISessionStream Gateway { get; } = gateway;

        /// <summary>Waits until a subscriber would get the worker's outputs in progress as a snapshot.</summary>
        public Task ReadyForSnapshotAsync(SessionKey key) => readyForSnapshot(key);

        /// <summary>Waits until the worker no longer answers for the session's outputs.</summary>
        public Task EndedAsync(SessionKey key) => ended(key);

        public ValueTask DisposeAsync() => dispose();
    }
}

/// <summary>The suite on the in-process stream: the worker and the gateway share one instance.</summary>
public sealed class InProcessToolOutputStreamTests : ToolOutputStreamCompliance
{
    protected override Task<StreamPair> StartAsync()
    {
        var stream = new InProcessSessionStream();
        return Task.FromResult(new StreamPair(stream, stream, _ => Task.CompletedTask, _ => Task.CompletedTask, () => ValueTask.CompletedTask));
    }
}

/// <summary>The suite on NATS: a worker process and a gateway process over a real nats-server.</summary>
public sealed class NatsToolOutputStreamTests(LiveServerFixture fixture) : ToolOutputStreamCompliance, IClassFixture<LiveServerFixture>
{
    protected override async Task<StreamPair> StartAsync()
    {
        var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        return new StreamPair(
            worker.Stream,
            gateway.Stream,
            key => WaitForRespondersAsync(gateway.Connection, key, present: true),
            key => WaitForRespondersAsync(gateway.Connection, key, present: false),
            async () =>
            {
                await gateway.DisposeAsync();
                await worker.DisposeAsync();
            });
    }

    // The worker subscribes (and unsubscribes) its snapshot responder from its queue: wait until the server agrees.
    private static async Task WaitForRespondersAsync(INatsConnection connection, SessionKey key, bool present)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var subject = $"soma.{key.TenantId}.live.{key.SessionId:N}.snapshot";
        while (true)
        {
            bool found;
            try
            {
                await connection.RequestAsync<byte[], byte[]>(subject, [], replyOpts: new NatsSubOpts { ThrowIfNoResponders = true, Timeout = TimeSpan.FromSeconds(1) }, cancellationToken: deadline.Token);
                found = true;
            }
            catch (NatsNoRespondersException)
            {
                found = false;
            }
            catch (NatsNoReplyException)
            {
                // A responder that was leaving while the request was on its way: ask again.
                continue;
            }

            if (found == present)
            {
                return;
            }

            await Task.Delay(10, deadline.Token);
        }
    }
}
