using System.Text;
using Microsoft.Extensions.Time.Testing;
using Soma.Core.Health;
using Soma.Core.Messaging;

namespace Soma.Compliance.Tests;

/// <summary>What only the in-process bus has: its clock and its memory bound.</summary>
public sealed class InProcessEventBusTests
{
    private static readonly string Subject = EventSubjects.For("acme", "agent.runs.v1");

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_message_id_is_remembered_for_the_duplicate_window_only()
    {
        var bus = new InProcessEventBus(_clock, new InProcessEventBusOptions { DuplicateWindow = TimeSpan.FromMinutes(2) });
        var message = new BusMessage(Guid.CreateVersion7(), Subject, Encoding.UTF8.GetBytes("{}"));
        var first = await bus.PublishAsync(message);

        _clock.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromTicks(1));
        Assert.Equal(new BusPublishResult(first.Sequence, Duplicate: true), await bus.PublishAsync(message));

        _clock.Advance(TimeSpan.FromTicks(1));
        var later = await bus.PublishAsync(message);
        Assert.False(later.Duplicate);
        Assert.True(later.Sequence > first.Sequence);
    }

    [Fact]
    public async Task It_keeps_the_newest_messages_up_to_its_bound()
    {
        var bus = new InProcessEventBus(_clock, new InProcessEventBusOptions { MaxMessages = 3 });
        var sent = new List<BusMessage>();
        for (var i = 0; i < 5; i++)
        {
            sent.Add(new BusMessage(Guid.CreateVersion7(), Subject, Encoding.UTF8.GetBytes($"{{\"i\":{i}}}")));
            await bus.PublishAsync(sent[^1]);
        }

        Assert.Equal(3, bus.Count);
        var read = new List<Guid>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var delivery in bus.SubscribeAsync(new BusSubscription("soma.acme.>"), deadline.Token))
        {
            read.Add(delivery.Id);
            if (read.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(sent.Skip(2).Select(m => m.Id), read);
        var health = await bus.CheckHealthAsync();
        Assert.Equal(("bus", HealthStatus.Normal, "in-process", 3), (health.Name, health.Status, health.Details["provider"], health.Details["messages"]));
    }

    [Fact]
    public async Task An_unacknowledged_message_is_delivered_again_when_its_ack_wait_runs_out_on_the_clock()
    {
        var bus = new InProcessEventBus(_clock);
        var message = new BusMessage(Guid.CreateVersion7(), Subject, Encoding.UTF8.GetBytes("{}"));
        await bus.PublishAsync(message);
        var subscription = new BusSubscription("soma.acme.>") { DurableName = "slow", AckWait = TimeSpan.FromSeconds(30) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        // The subscriber keeps reading (it is alive) but never acknowledges: only the ack wait brings the message back.
        var deliveries = new List<BusDelivery>();
        await using var reader = bus.SubscribeAsync(subscription, deadline.Token).GetAsyncEnumerator(deadline.Token);
        Assert.True(await reader.MoveNextAsync());
        deliveries.Add(reader.Current);
        var next = reader.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(await next);
        Assert.Equal(message.Id, reader.Current.Id);
        Assert.Equal(2, reader.Current.DeliveryCount);
    }
}
