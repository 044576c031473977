using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using Soma.Core.Streaming;
using Soma.Messaging.Nats.Live;

namespace Soma.Messaging.Nats.Tests.Live;

/// <summary>
/// Two processes (two connections, two streams) over a real nats-server: a worker writes answers, a gateway subscribes
/// at every point of the answer's life and must rebuild the worker's text exactly — no gap, no duplicate.
/// </summary>
public sealed class NatsSessionStreamTests(LiveServerFixture fixture) : IClassFixture<LiveServerFixture>
{
    private const int Deltas = 200;

    [Fact]
    public async Task A_subscriber_from_before_the_answer_starts_rebuilds_it_exactly()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var (runId, messageId) = (Guid.NewGuid(), Guid.NewGuid());

        using var subscription = await gateway.Stream.SubscribeAsync(key);
        Assert.Empty(subscription.Answers);

        worker.Stream.StartAnswer(key, runId, messageId, "base|");
        var expected = "base|" + Append(worker.Stream, key, messageId, 0, Deltas);
        worker.Stream.EndAnswer(key, messageId);
        worker.Stream.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(expected, reader.Texts[messageId]);
        Assert.Equal(Deltas + 1, reader.Items.Count(i => i.Kind == SessionStreamItemKind.Delta));
        Assert.All(reader.Items.Where(i => i.Kind == SessionStreamItemKind.Delta), i => Assert.Equal(runId, i.RunId));
    }

    [Fact]
    public async Task A_subscriber_from_mid_answer_starts_from_the_snapshot_and_rebuilds_it_exactly()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var messageId = Guid.NewGuid();

        worker.Stream.StartAnswer(key, Guid.NewGuid(), messageId, "base|");
        var expected = new StringBuilder("base|").Append(Append(worker.Stream, key, messageId, 0, Deltas / 2));
        await WaitForResponderAsync(gateway.Connection, key);

        using var subscription = await gateway.Stream.SubscribeAsync(key);
        var snapshot = Assert.Single(subscription.Answers);
        Assert.Equal(messageId, snapshot.MessageId);
        Assert.Equal(Deltas / 2, snapshot.Index);
        Assert.Equal(expected.ToString(), snapshot.Text);

        expected.Append(Append(worker.Stream, key, messageId, Deltas / 2, Deltas));
        worker.Stream.EndAnswer(key, messageId);
        worker.Stream.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(expected.ToString(), reader.Texts[messageId]);
    }

    [Fact]
    public async Task A_subscriber_after_the_answer_ended_gets_no_answer_and_the_durable_wake_up()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var messageId = Guid.NewGuid();
        await using var observer = await worker.Connection.SubscribeCoreAsync<byte[]>($"soma.acme.live.{key.SessionId:N}");
        await worker.Connection.PingAsync();

        worker.Stream.StartAnswer(key, Guid.NewGuid(), messageId, "base|");
        Append(worker.Stream, key, messageId, 0, Deltas);
        worker.Stream.EndAnswer(key, messageId);

        // Past means the server has routed every delta: the observer got the last one.
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            for (var seen = 0; seen <= Deltas; seen++)
            {
                await observer.Msgs.ReadAsync(deadline.Token);
            }
        }

        using var subscription = await gateway.Stream.SubscribeAsync(key);
        Assert.Empty(subscription.Answers);
        worker.Stream.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal([SessionStreamItemKind.Durable], reader.Items.Select(i => i.Kind));
    }

    [Fact]
    public async Task Subscribers_joining_while_the_answer_streams_all_rebuild_it_exactly()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var messageId = Guid.NewGuid();
        var expected = new StringBuilder("base|");

        var writing = Task.Run(async () =>
        {
            worker.Stream.StartAnswer(key, Guid.NewGuid(), messageId, "base|");
            for (var i = 0; i < 2000; i += 50)
            {
                expected.Append(Append(worker.Stream, key, messageId, i, i + 50));
                await Task.Delay(2);
            }
        });
        var joining = Enumerable.Range(0, 12).Select(async n =>
        {
            await Task.Delay(n * 8);
            return await gateway.Stream.SubscribeAsync(key);
        }).ToList();
        var subscriptions = await Task.WhenAll(joining);
        await writing;
        worker.Stream.EndAnswer(key, messageId);
        worker.Stream.NotifyDurable(key);

        try
        {
            foreach (var subscription in subscriptions)
            {
                var reader = new AnswerReader(subscription);
                await reader.ReadUntilDurableAsync();
                Assert.Equal(expected.ToString(), reader.Texts[messageId]);
            }
        }
        finally
        {
            foreach (var subscription in subscriptions)
            {
                subscription.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_restarted_answer_after_the_snapshot_starts_over_for_the_subscriber()
    {
        // An index-only filter would drop the restart's delta 0 (0 is below the snapshot's index): the sequence number
        // tells a restart from a delta the snapshot holds.
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var (runId, messageId) = (Guid.NewGuid(), Guid.NewGuid());

        worker.Stream.StartAnswer(key, runId, messageId, "first|");
        Append(worker.Stream, key, messageId, 0, 50);
        await WaitForResponderAsync(gateway.Connection, key);
        using var subscription = await gateway.Stream.SubscribeAsync(key);
        Assert.Equal(50, Assert.Single(subscription.Answers).Index);

        worker.Stream.StartAnswer(key, runId, messageId, "retry|");
        var expected = "retry|" + Append(worker.Stream, key, messageId, 0, 10);
        worker.Stream.EndAnswer(key, messageId);
        worker.Stream.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(expected, reader.Texts[messageId]);
    }

    [Fact]
    public async Task Sessions_and_tenants_do_not_mix()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var otherSession = key with { SessionId = Guid.NewGuid() };
        var otherTenant = key with { TenantId = "globex" };
        var (mine, theirs, foreign) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        using var subscription = await gateway.Stream.SubscribeAsync(key);
        using var otherTenantSubscription = await gateway.Stream.SubscribeAsync(otherTenant);
        worker.Stream.StartAnswer(otherSession, Guid.NewGuid(), theirs, "other session|");
        worker.Stream.StartAnswer(otherTenant, Guid.NewGuid(), foreign, "other tenant|");
        worker.Stream.StartAnswer(key, Guid.NewGuid(), mine, "mine|");
        Append(worker.Stream, otherSession, theirs, 0, 20);
        Append(worker.Stream, otherTenant, foreign, 0, 20);
        var expected = "mine|" + Append(worker.Stream, key, mine, 0, 20);
        worker.Stream.NotifyDurable(otherSession);
        worker.Stream.NotifyDurable(key);
        worker.Stream.NotifyDurable(otherTenant);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal([mine], reader.Texts.Keys);
        Assert.Equal(expected, reader.Texts[mine]);
        Assert.Equal(1, reader.Durables);
        Assert.False(subscription.Items.TryRead(out _));

        var foreignReader = new AnswerReader(otherTenantSubscription);
        await foreignReader.ReadUntilDurableAsync();
        Assert.Equal([foreign], foreignReader.Texts.Keys);
    }

    [Fact]
    public async Task Subscribing_with_no_answer_in_progress_does_not_wait_for_a_snapshot_timeout()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();

        var clock = Stopwatch.StartNew();
        using var subscription = await gateway.Stream.SubscribeAsync(key);
        clock.Stop();

        Assert.Empty(subscription.Answers);
        // A sanity bound, not a speed claim: no responders is answered by the server at once, a timeout takes 3 s.
        Assert.True(clock.Elapsed < NatsSessionStream.SnapshotTimeout * 0.8, $"Subscribing took {clock.Elapsed}.");

        var messageId = Guid.NewGuid();
        worker.Stream.StartAnswer(key, Guid.NewGuid(), messageId, "hello");
        worker.Stream.NotifyDurable(key);
        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal("hello", reader.Texts[messageId]);
    }

    [Fact]
    public async Task A_responder_that_does_not_reply_costs_the_timeout_and_live_items_still_flow()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        await using var silent = await worker.Connection.SubscribeCoreAsync<byte[]>(SnapshotSubject(key));
        await worker.Connection.PingAsync();

        using var subscription = await gateway.Stream.SubscribeAsync(key);
        Assert.Empty(subscription.Answers);

        worker.Stream.NotifyDurable(key);
        await new AnswerReader(subscription).ReadUntilDurableAsync();
    }

    [Fact]
    public async Task A_busy_responder_that_replies_after_a_second_and_a_half_still_gives_a_mid_answer_subscriber_the_whole_answer()
    {
        // A worker process as seen on the wire: its answer started (delta 0 went by before the subscriber came), and its
        // responder is busy. With a 1 s wait the subscriber started empty and dropped the rest of the answer.
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var (origin, runId, messageId) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var subject = $"soma.acme.live.{key.SessionId:N}";
        await using var responder = await worker.Connection.SubscribeCoreAsync<byte[]>(SnapshotSubject(key));
        await worker.Connection.PingAsync();
        await worker.Connection.PublishAsync(subject, Encoding.UTF8.GetBytes(Delta(origin, 1, runId, messageId, 0, "base|")));
        var replying = Task.Run(async () =>
        {
            var request = await responder.Msgs.ReadAsync();
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var snapshot = new { origin, seq = 1, answers = new[] { new { run_id = runId, message_id = messageId, text = "base|", index = 0 } }, tool_outputs = Array.Empty<object>() };
            await request.ReplyAsync(JsonSerializer.SerializeToUtf8Bytes(snapshot));
        });

        var subscribing = gateway.Stream.SubscribeAsync(key).AsTask();
        // While the subscriber waits for the reply, the answer goes on.
        await Task.Delay(200);
        await worker.Connection.PublishAsync(subject, Encoding.UTF8.GetBytes(Delta(origin, 2, runId, messageId, 1, "more")));
        await replying;
        using var subscription = await subscribing;
        Assert.Equal("base|", Assert.Single(subscription.Answers).Text);
        await worker.Connection.PublishAsync(subject, Encoding.UTF8.GetBytes(Durable()));

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal("base|more", reader.Texts[messageId]);
    }

    [Fact]
    public async Task A_slow_subscriber_is_closed_with_ChannelClosedException_and_does_not_hold_up_the_worker()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var messageId = Guid.NewGuid();
        const int Many = InProcessSessionStream.SubscriberCapacity + 1000;

        using var slow = await gateway.Stream.SubscribeAsync(key);
        await using var observer = await worker.Connection.SubscribeCoreAsync<byte[]>($"soma.acme.live.{key.SessionId:N}");
        await worker.Connection.PingAsync();

        worker.Stream.StartAnswer(key, Guid.NewGuid(), messageId, "");
        Append(worker.Stream, key, messageId, 0, Many);
        worker.Stream.NotifyDurable(key);

        // Every delta went out (and the durable wake-up after them) while the subscriber did not read.
        using (var published = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            for (var seen = 0; seen < Many + 2; seen++)
            {
                await observer.Msgs.ReadAsync(published.Token);
            }
        }

        // The one that did not read: its channel fills up (the pump may still be behind the observer) and is closed,
        // behind the items it holds. Waiting to write throws once it is closed.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await Assert.ThrowsAsync<ChannelClosedException>(async () =>
        {
            while (await slow.Channel.Writer.WaitToWriteAsync(deadline.Token))
            {
                await Task.Delay(10, deadline.Token);
            }
        });
        var read = 0;
        await Assert.ThrowsAsync<ChannelClosedException>(async () =>
        {
            while (true)
            {
                await slow.Items.ReadAsync(deadline.Token);
                read++;
            }
        });
        Assert.Equal(InProcessSessionStream.SubscriberCapacity, read);
    }

    [Fact]
    public async Task One_process_that_is_worker_and_gateway_goes_through_nats_too()
    {
        await using var both = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var messageId = Guid.NewGuid();

        both.Stream.StartAnswer(key, Guid.NewGuid(), messageId, "base|");
        var expected = new StringBuilder("base|").Append(Append(both.Stream, key, messageId, 0, 30));
        await WaitForResponderAsync(both.Connection, key);
        using var subscription = await both.Stream.SubscribeAsync(key);
        Assert.Equal(expected.ToString(), Assert.Single(subscription.Answers).Text);

        expected.Append(Append(both.Stream, key, messageId, 30, 60));
        both.Stream.EndAnswer(key, messageId);
        both.Stream.NotifyDurable(key);

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(expected.ToString(), reader.Texts[messageId]);
    }

    [Fact]
    public async Task Across_a_server_restart_a_subscriber_rebuilds_the_exact_text_or_is_told_to_resubscribe()
    {
        // Its own server: the others share one that must stay up.
        await using var server = await Soma.Testing.NatsServer.StartNewAsync();
        await using var worker = await LiveProcess.StartAsync(server.Url);
        await using var gateway = await LiveProcess.StartAsync(server.Url);
        var key = NewSession();
        var messageId = Guid.NewGuid();

        var subscription = await gateway.Stream.SubscribeAsync(key);
        try
        {
            worker.Stream.StartAnswer(key, Guid.NewGuid(), messageId, "base|");
            var expected = new StringBuilder("base|").Append(Append(worker.Stream, key, messageId, 0, 10));
            worker.Stream.NotifyDurable(key);
            var reader = new AnswerReader(subscription);
            await reader.ReadUntilDurableAsync();

            await server.StopAsync();
            expected.Append(Append(worker.Stream, key, messageId, 10, 20));
            await server.StartAsync();
            await WaitUntilOpenAsync(worker.Connection, gateway.Connection);
            expected.Append(Append(worker.Stream, key, messageId, 20, 30));
            worker.Stream.NotifyDurable(key);

            try
            {
                await reader.ReadUntilDurableAsync(2, TimeSpan.FromSeconds(30));
                Assert.Equal(expected.ToString(), reader.Texts[messageId]);
            }
            catch (ChannelClosedException)
            {
                // Deltas went by while it was away: the client resubscribes, and the snapshot has the whole text.
                subscription.Dispose();
                await WaitForResponderAsync(gateway.Connection, key);
                subscription = await gateway.Stream.SubscribeAsync(key);
                Assert.Equal(expected.ToString(), Assert.Single(subscription.Answers).Text);
            }
        }
        finally
        {
            subscription.Dispose();
        }
    }

    [Fact]
    public async Task SubscriberCount_counts_open_subscriptions_of_this_process()
    {
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();

        var first = await gateway.Stream.SubscribeAsync(key);
        var second = await gateway.Stream.SubscribeAsync(key with { SessionId = Guid.NewGuid() });
        Assert.Equal(2, gateway.Stream.SubscriberCount);

        first.Dispose();
        first.Dispose();
        Assert.Equal(1, gateway.Stream.SubscriberCount);
        Assert.False(await first.Items.WaitToReadAsync());

        second.Dispose();
        Assert.Equal(0, gateway.Stream.SubscriberCount);
    }

    [Fact]
    public async Task Deltas_go_out_in_the_documented_wire_format()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var (runId, messageId) = (Guid.NewGuid(), Guid.NewGuid());
        await using var raw = await worker.Connection.SubscribeCoreAsync<byte[]>($"soma.acme.live.{key.SessionId:N}");
        await worker.Connection.PingAsync();

        worker.Stream.StartAnswer(key, runId, messageId, "Hello");
        worker.Stream.AppendAnswer(key, messageId, ", world");
        worker.Stream.NotifyDurable(key);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var messages = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            var message = await raw.Msgs.ReadAsync(deadline.Token);
            messages.Add(JsonDocument.Parse(message.Data).RootElement.Clone());
        }

        Assert.Equal(["delta", "delta", "durable"], messages.Select(m => m.GetProperty("kind").GetString()));
        Assert.Equal([0, 1], messages.Take(2).Select(m => m.GetProperty("index").GetInt32()));
        Assert.Equal(["Hello", ", world"], messages.Take(2).Select(m => m.GetProperty("text").GetString()));
        Assert.All(messages.Take(2), m => Assert.Equal(runId, m.GetProperty("run_id").GetGuid()));
        Assert.All(messages.Take(2), m => Assert.Equal(messageId, m.GetProperty("message_id").GetGuid()));
        Assert.Single(messages.Select(m => m.GetProperty("origin").GetGuid()).Distinct());
        var sequence = messages.Select(m => m.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(sequence.Order(), sequence);
    }

    [Fact]
    public async Task Tool_output_deltas_and_their_snapshot_go_out_in_the_documented_wire_format()
    {
        await using var worker = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var runId = Guid.NewGuid();
        await using var raw = await worker.Connection.SubscribeCoreAsync<byte[]>($"soma.acme.live.{key.SessionId:N}");
        await worker.Connection.PingAsync();

        worker.Stream.StartToolOutput(key, runId, "call_7", "shell.run");
        worker.Stream.AppendToolOutput(key, runId, "call_7", "line 1\n");
        await WaitForResponderAsync(worker.Connection, key);
        var reply = await worker.Connection.RequestAsync<byte[], byte[]>(SnapshotSubject(key), []);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var messages = new List<JsonElement>();
        for (var i = 0; i < 2; i++)
        {
            messages.Add(JsonDocument.Parse((await raw.Msgs.ReadAsync(deadline.Token)).Data).RootElement.Clone());
        }

        Assert.Equal(["tool_delta", "tool_delta"], messages.Select(m => m.GetProperty("kind").GetString()));
        Assert.Equal([0, 1], messages.Select(m => m.GetProperty("index").GetInt32()));
        Assert.Equal(["", "line 1\n"], messages.Select(m => m.GetProperty("text").GetString()));
        Assert.All(messages, m => Assert.Equal(("call_7", "shell.run", runId, Guid.Empty), (m.GetProperty("tool_call_id").GetString(), m.GetProperty("tool").GetString(), m.GetProperty("run_id").GetGuid(), m.GetProperty("message_id").GetGuid())));

        var snapshot = JsonDocument.Parse(reply.Data).RootElement;
        Assert.Empty(snapshot.GetProperty("answers").EnumerateArray());
        var output = Assert.Single(snapshot.GetProperty("tool_outputs").EnumerateArray());
        Assert.Equal((runId, "call_7", "shell.run", "line 1\n", 1), (output.GetProperty("run_id").GetGuid(), output.GetProperty("tool_call_id").GetString(), output.GetProperty("tool").GetString(), output.GetProperty("text").GetString(), output.GetProperty("index").GetInt32()));

        // An answer delta carries no tool fields at all.
        worker.Stream.StartAnswer(key, runId, Guid.NewGuid(), "hi");
        var answer = JsonDocument.Parse((await raw.Msgs.ReadAsync(deadline.Token)).Data).RootElement;
        Assert.Equal("delta", answer.GetProperty("kind").GetString());
        Assert.False(answer.TryGetProperty("tool_call_id", out _));
    }

    [Fact]
    public async Task Malformed_live_messages_are_ignored_and_the_pump_goes_on()
    {
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var other = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var subject = $"soma.acme.live.{key.SessionId:N}";
        using var subscription = await gateway.Stream.SubscribeAsync(key);

        var messageId = Guid.NewGuid();
        foreach (var payload in new[]
        {
            "not json",
            "",
            "{\"kind\":\"delta\"}",
            "{\"kind\":\"poem\",\"origin\":\"" + Guid.NewGuid() + "\",\"seq\":1,\"run_id\":\"" + Guid.NewGuid() + "\",\"message_id\":\"" + messageId + "\",\"index\":0,\"text\":\"x\"}",
            Delta(messageId, -1, "negative"),
            Delta(Guid.Empty, 0, "no message"),
            Delta(messageId, 0, "kept"),
            Durable(),
        })
        {
            await other.Connection.PublishAsync(subject, Encoding.UTF8.GetBytes(payload));
        }

        var reader = new AnswerReader(subscription);
        await reader.ReadUntilDurableAsync();
        Assert.Equal(2, reader.Items.Count);
        Assert.Equal("kept", reader.Texts[messageId]);
    }

    [Fact]
    public async Task A_delta_that_skips_an_index_closes_the_subscription_so_the_client_resubscribes()
    {
        await using var gateway = await LiveProcess.StartAsync(fixture.Server.Url);
        await using var other = await LiveProcess.StartAsync(fixture.Server.Url);
        var key = NewSession();
        var subject = $"soma.acme.live.{key.SessionId:N}";
        using var subscription = await gateway.Stream.SubscribeAsync(key);

        var (started, unseen) = (Guid.NewGuid(), Guid.NewGuid());
        foreach (var payload in new[] { Delta(unseen, 5, "mid-answer"), Delta(started, 0, "a"), Delta(started, 1, "b"), Delta(started, 3, "d") })
        {
            await other.Connection.PublishAsync(subject, Encoding.UTF8.GetBytes(payload));
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var items = new List<SessionStreamItem>();
        await Assert.ThrowsAsync<ChannelClosedException>(async () =>
        {
            while (true)
            {
                items.Add(await subscription.Items.ReadAsync(deadline.Token));
            }
        });

        // The delta of an answer whose start it never saw is dropped, not shown as a fragment.
        Assert.Equal(["a", "b"], items.Select(i => i.Text));
    }

    [Fact]
    public void AddNatsSessionStream_replaces_the_registered_stream()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ISessionStream, InProcessSessionStream>();

        services.AddNatsSessionStream();

        var descriptor = Assert.Single(services, d => d.ServiceType == typeof(ISessionStream));
        Assert.Equal(ServiceLifetime.Singleton, descriptor.Lifetime);
        Assert.NotNull(descriptor.ImplementationFactory);
    }

    private static SessionKey NewSession() => new("acme", Guid.NewGuid());

    private static string SnapshotSubject(SessionKey key) => $"soma.{key.TenantId}.live.{key.SessionId:N}.snapshot";

    private static string Append(ISessionStream stream, SessionKey key, Guid messageId, int from, int to)
    {
        var text = new StringBuilder();
        for (var i = from; i < to; i++)
        {
            var piece = $"d{i}|";
            stream.AppendAnswer(key, messageId, piece);
            text.Append(piece);
        }

        return text.ToString();
    }

    // The worker subscribes its snapshot responder from its queue; a test that wants a snapshot waits until it answers.
    private static async Task WaitForResponderAsync(INatsConnection connection, SessionKey key)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                await connection.RequestAsync<byte[], byte[]>(SnapshotSubject(key), [], replyOpts: new NatsSubOpts { ThrowIfNoResponders = true }, cancellationToken: deadline.Token);
                return;
            }
            catch (NatsNoRespondersException)
            {
                await Task.Delay(10, deadline.Token);
            }
        }
    }

    private static async Task WaitUntilOpenAsync(params INatsConnection[] connections)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (connections.Any(c => c.ConnectionState != NatsConnectionState.Open))
        {
            await Task.Delay(20, deadline.Token);
        }

        foreach (var connection in connections)
        {
            await connection.PingAsync(deadline.Token);
        }
    }

    private static string Delta(Guid messageId, int index, string text) =>
        JsonSerializer.Serialize(new { kind = "delta", origin = Guid.NewGuid(), seq = 1, run_id = Guid.NewGuid(), message_id = messageId, index, text });

    private static string Delta(Guid origin, long seq, Guid runId, Guid messageId, int index, string text) =>
        JsonSerializer.Serialize(new { kind = "delta", origin, seq, run_id = runId, message_id = messageId, index, text });

    private static string Durable() =>
        JsonSerializer.Serialize(new { kind = "durable", origin = Guid.NewGuid(), seq = 1, run_id = Guid.Empty, message_id = Guid.Empty, index = 0, text = "" });
}
