using System.Collections.Concurrent;
using System.Text;
using Soma.Core.Messaging;

namespace Soma.Compliance.Tests;

public sealed class InProcessBusCompliance(InProcessBusEngine engine) : BusCompliance<InProcessBusEngine>(engine);

public sealed class NatsBusCompliance(NatsBusEngine engine) : BusCompliance<NatsBusEngine>(engine);

/// <summary>The <see cref="IEventBus"/> contract every adapter keeps (see docs/messaging/bus.md).</summary>
public abstract class BusCompliance<TEngine>(TEngine engine) : IClassFixture<TEngine>, IAsyncLifetime
    where TEngine : BusEngine
{
    // How long a test waits for what must happen; it is a deadline, not a pause: the waits end as soon as it happens.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private BusUnderTest _bus = null!;

    protected TEngine Engine { get; } = engine;

    protected IEventBus Bus => _bus.Bus;

    public async ValueTask InitializeAsync() => _bus = await Engine.CreateAsync();

    public async ValueTask DisposeAsync() => await _bus.DisposeAsync();

    [Fact]
    public async Task A_published_message_is_read_with_its_id_subject_payload_and_an_increasing_sequence()
    {
        var tenant = NewTenant();
        var sent = new[] { Message(Subject(tenant, 0), "{\"n\":1,\"text\":\"wörld ✓\"}"), Message(Subject(tenant, 1), "{\"n\":2}"), Message(Subject(tenant, 0), "") };
        var results = new List<BusPublishResult>();
        foreach (var message in sent)
        {
            results.Add(await Bus.PublishAsync(message));
        }

        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(results.Select(r => r.Sequence).Order(), results.Select(r => r.Sequence));
        Assert.Equal(3, results.Select(r => r.Sequence).Distinct().Count());

        // Publish order holds per subject; across subjects an adapter may interleave.
        var read = (await TakeAsync(new BusSubscription(EventSubjects.Tenant(tenant)), sent.Length)).ToDictionary(d => d.Id);
        for (var i = 0; i < sent.Length; i++)
        {
            var delivery = read[sent[i].Id];
            Assert.Equal(sent[i].Subject, delivery.Subject);
            Assert.Equal(sent[i].Payload.ToArray(), delivery.Payload.ToArray());
            Assert.Equal(results[i].Sequence, delivery.Sequence);
            Assert.Equal(1, delivery.DeliveryCount);
            Assert.InRange(delivery.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        }
    }

    [Fact]
    public async Task A_tenant_pattern_reads_that_tenants_events_only()
    {
        var (acme, other) = (NewTenant(), NewTenant());
        var expected = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var mine = Message(Subject(acme, i % 2), $"{{\"i\":{i}}}");
            await Bus.PublishAsync(mine);
            expected.Add(mine.Id);
            await Bus.PublishAsync(Message(Subject(other, i % 2), $"{{\"i\":{i}}}"));
        }

        // A last message of acme's on each subject marks the end: everything the pattern lets through comes before.
        var ends = new[] { Message(Subject(acme, 0), "{}"), Message(Subject(acme, 1), "{}") };
        foreach (var end in ends)
        {
            await Bus.PublishAsync(end);
            expected.Add(end.Id);
        }

        var read = await TakeUntilAsync(new BusSubscription(EventSubjects.Tenant(acme)), [.. ends.Select(e => e.Id)]);
        Assert.Equal(expected.Order(), read.Select(d => d.Id).Order());
        Assert.All(read, d => Assert.Equal(acme, EventSubjects.TenantOf(d.Subject)));
    }

    [Fact]
    public async Task Messages_of_a_subject_are_read_in_publish_order()
    {
        var tenant = NewTenant();
        var sent = new List<BusMessage>();
        for (var i = 0; i < 500; i++)
        {
            var message = Message(Subject(tenant, i % 2), $"{{\"i\":{i}}}");
            sent.Add(message);
            await Bus.PublishAsync(message);
        }

        var read = await TakeAsync(new BusSubscription(EventSubjects.Tenant(tenant)), sent.Count);
        foreach (var subject in new[] { Subject(tenant, 0), Subject(tenant, 1) })
        {
            Assert.Equal(
                sent.Where(m => m.Subject == subject).Select(m => m.Id),
                read.Where(d => d.Subject == subject).Select(d => d.Id));
        }

    }

    [Fact]
    public async Task The_same_message_id_published_twice_is_stored_once()
    {
        var tenant = NewTenant();
        var message = Message(Subject(tenant, 0), "{\"once\":true}");
        var first = await Bus.PublishAsync(message);
        var second = await Bus.PublishAsync(message with { Payload = Encoding.UTF8.GetBytes("{\"once\":false}") });

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.Sequence, second.Sequence);

        var end = Message(Subject(tenant, 0), "{}");
        Assert.False((await Bus.PublishAsync(end)).Duplicate);
        var read = await TakeUntilAsync(new BusSubscription(EventSubjects.Tenant(tenant)), end.Id);
        Assert.Equal([message.Id, end.Id], read.Select(d => d.Id));
        Assert.Equal("{\"once\":true}", Encoding.UTF8.GetString(read[0].Payload.Span));
    }

    [Fact]
    public async Task Subscribers_of_one_durable_consumer_share_its_messages_and_none_gets_one_twice()
    {
        var tenant = NewTenant();
        var published = new List<ulong>();
        for (var i = 0; i < 100; i++)
        {
            published.Add((await Bus.PublishAsync(Message(Subject(tenant, i % 2), $"{{\"i\":{i}}}"))).Sequence);
        }

        var subscription = new BusSubscription(EventSubjects.Tenant(tenant)) { DurableName = "shared" };
        var readers = new ConcurrentDictionary<ulong, string>();
        var twice = new ConcurrentBag<ulong>();
        var firstGotOne = new TaskCompletionSource();
        var secondGotOne = new TaskCompletionSource();
        var all = new TaskCompletionSource();
        using var stop = new CancellationTokenSource(Deadline);

        // The first subscriber holds on after its first message until the second has one, so both take part whatever
        // the timing; everything it had already taken stays its own.
        async Task ReadAsync(string name, TaskCompletionSource gotOne, Task goOn)
        {
            try
            {
                await foreach (var delivery in Bus.SubscribeAsync(subscription, stop.Token))
                {
                    if (!readers.TryAdd(delivery.Sequence, name))
                    {
                        twice.Add(delivery.Sequence);
                    }

                    await delivery.AckAsync();
                    gotOne.TrySetResult();
                    if (readers.Count == published.Count)
                    {
                        all.TrySetResult();
                    }

                    await goOn.WaitAsync(stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        var first = ReadAsync("first", firstGotOne, secondGotOne.Task);
        await firstGotOne.Task.WaitAsync(stop.Token);
        var second = ReadAsync("second", secondGotOne, Task.CompletedTask);
        await all.Task.WaitAsync(stop.Token);
        await stop.CancelAsync();
        await Task.WhenAll(first, second);

        Assert.Empty(twice);
        Assert.Equal(published.Order(), readers.Keys.Order());
        Assert.Contains("first", readers.Values);
        Assert.Contains("second", readers.Values);
    }

    [Fact]
    public async Task A_message_its_subscriber_never_acknowledged_goes_to_the_next_subscriber_of_the_durable_consumer()
    {
        var tenant = NewTenant();
        var message = Message(Subject(tenant, 0), "{\"work\":1}");
        await Bus.PublishAsync(message);
        var subscription = new BusSubscription(EventSubjects.Tenant(tenant)) { DurableName = "worker", AckWait = TimeSpan.FromSeconds(1) };

        // The first subscriber takes it and stops without acknowledging it (its process died).
        var taken = Assert.Single(await TakeAsync(subscription, 1, ack: false));
        Assert.Equal(message.Id, taken.Id);
        Assert.Equal(1, taken.DeliveryCount);

        var again = Assert.Single(await TakeAsync(subscription, 1));
        Assert.Equal(message.Id, again.Id);
        Assert.Equal(taken.Sequence, again.Sequence);
        Assert.Equal(2, again.DeliveryCount);
    }

    [Fact]
    public async Task A_durable_consumer_keeps_its_position_when_its_subscribers_are_gone()
    {
        var tenant = NewTenant();
        var sent = new List<BusMessage>();
        for (var i = 0; i < 5; i++)
        {
            var message = Message(Subject(tenant, 0), $"{{\"i\":{i}}}");
            sent.Add(message);
            await Bus.PublishAsync(message);
        }

        var subscription = new BusSubscription(EventSubjects.Tenant(tenant)) { DurableName = "position", AckWait = TimeSpan.FromSeconds(1) };
        var handled = await TakeAsync(subscription, 3);
        Assert.Equal(sent.Take(3).Select(m => m.Id), handled.Select(d => d.Id));

        // The rest, and after them a new message: nothing that was acknowledged comes back.
        var rest = await TakeAsync(subscription, 2);
        Assert.Equal(sent.Skip(3).Select(m => m.Id), rest.Select(d => d.Id));
        var later = Message(Subject(tenant, 0), "{\"later\":true}");
        await Bus.PublishAsync(later);
        Assert.Equal(later.Id, Assert.Single(await TakeAsync(subscription, 1)).Id);
    }

    [Fact]
    public async Task Deliver_from_new_skips_what_was_published_before_the_subscription()
    {
        var tenant = NewTenant();
        var old = new HashSet<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var message = Message(Subject(tenant, 0), "{\"old\":true}");
            old.Add(message.Id);
            await Bus.PublishAsync(message);
        }

        using var stop = new CancellationTokenSource(Deadline);
        var firstRead = new TaskCompletionSource<BusDelivery>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            await foreach (var delivery in Bus.SubscribeAsync(new BusSubscription(EventSubjects.Tenant(tenant)) { DeliverFrom = BusDeliverFrom.New }, stop.Token))
            {
                firstRead.TrySetResult(delivery);
                break;
            }
        });

        // The subscription starts when the reader does: new messages go out until one arrives.
        var probes = new HashSet<Guid>();
        while (!firstRead.Task.IsCompleted)
        {
            var probe = Message(Subject(tenant, 0), "{\"new\":true}");
            probes.Add(probe.Id);
            await Bus.PublishAsync(probe);
            await Task.WhenAny(firstRead.Task, Task.Delay(50, stop.Token));
        }

        var first = await firstRead.Task;
        Assert.DoesNotContain(first.Id, old);
        Assert.Contains(first.Id, probes);
        await reader;
    }

    [Fact]
    public async Task Deliver_from_time_starts_at_the_first_message_stored_at_or_after_it()
    {
        var tenant = NewTenant();
        var sent = new List<BusMessage>();
        for (var i = 0; i < 4; i++)
        {
            var message = Message(Subject(tenant, 0), $"{{\"i\":{i}}}");
            sent.Add(message);
            await Bus.PublishAsync(message);

            // Distinct store times, so the start time below falls between two messages.
            await Task.Delay(20);
        }

        var all = await TakeAsync(new BusSubscription(EventSubjects.Tenant(tenant)), sent.Count);
        var start = all[2].Timestamp;
        var expected = all.Where(d => d.Timestamp >= start).Select(d => d.Id).ToList();
        Assert.DoesNotContain(sent[0].Id, expected);
        Assert.Contains(sent[2].Id, expected);

        var from = await TakeAsync(new BusSubscription(EventSubjects.Tenant(tenant)) { DeliverFrom = BusDeliverFrom.Time, StartTime = start }, expected.Count);
        Assert.Equal(expected, from.Select(d => d.Id));
    }

    [Theory]
    [InlineData("soma.{tenant}.live.0f8fad5bd9cb469fa16570867728950e")]
    [InlineData("soma.{tenant}.unknown.v1")]
    [InlineData("soma.{tenant}")]
    [InlineData("other.{tenant}.{schema}")]
    [InlineData("soma.*.{schema}")]
    [InlineData("soma.{tenant}.{schema}.extra")]
    public async Task A_subject_the_bus_does_not_store_is_refused_and_not_stored(string pattern)
    {
        var tenant = NewTenant();
        var subject = pattern.Replace("{tenant}", tenant, StringComparison.Ordinal).Replace("{schema}", _bus.Schemas[0], StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<EventBusException>(() => Bus.PublishAsync(Message(subject, "{}")));
        Assert.False(refused.IsTransient);

        var end = Message(Subject(tenant, 0), "{}");
        await Bus.PublishAsync(end);
        Assert.Equal([end.Id], (await TakeUntilAsync(new BusSubscription(">"), end.Id)).Select(d => d.Id));
    }

    [Theory]
    [InlineData("soma.{tenant}.live.>")]
    [InlineData("other.>")]
    [InlineData("soma.{tenant}.unknown.v1")]
    public async Task A_subscription_to_subjects_the_bus_does_not_store_is_refused(string pattern)
    {
        var subject = pattern.Replace("{tenant}", NewTenant(), StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<EventBusException>(async () =>
        {
            await foreach (var unused in Bus.SubscribeAsync(new BusSubscription(subject)))
            {
            }
        });
        Assert.False(refused.IsTransient);
    }

    protected static string NewTenant() => $"t{Guid.NewGuid():N}"[..16];

    protected static BusMessage Message(string subject, string json) => new(Guid.CreateVersion7(), subject, Encoding.UTF8.GetBytes(json));

    protected string Subject(string tenant, int schema) => EventSubjects.For(tenant, _bus.Schemas[schema]);

    /// <summary>Reads <paramref name="count"/> messages (acknowledging each unless told not to), then stops the subscriber.</summary>
    protected async Task<List<BusDelivery>> TakeAsync(BusSubscription subscription, int count, bool ack = true)
    {
        var read = new List<BusDelivery>();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await foreach (var delivery in Bus.SubscribeAsync(subscription, deadline.Token))
            {
                read.Add(delivery);
                if (ack)
                {
                    await delivery.AckAsync();
                }

                if (read.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"{Engine.Name}: read {read.Count} of {count} messages of '{subscription.Subject}' within {Deadline}.");
        }

        return read;
    }

    /// <summary>Reads until every message of <paramref name="last"/> has been read.</summary>
    protected async Task<List<BusDelivery>> TakeUntilAsync(BusSubscription subscription, params Guid[] last)
    {
        var read = new List<BusDelivery>();
        var waiting = last.ToHashSet();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await foreach (var delivery in Bus.SubscribeAsync(subscription, deadline.Token))
            {
                read.Add(delivery);
                if (waiting.Remove(delivery.Id) && waiting.Count == 0)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"{Engine.Name}: messages {string.Join(", ", waiting)} of '{subscription.Subject}' not read within {Deadline}.");
        }

        return read;
    }
}
