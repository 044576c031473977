using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Messaging;
using Soma.Core.Outbox;
using Soma.Core.Storage;

namespace Soma.Compliance.Tests;

public sealed class SqliteEventRelayCompliance(SqliteEngine engine) : EventRelayCompliance<SqliteEngine>(engine);

public sealed class PostgresEventRelayCompliance(PostgresEngine engine) : EventRelayCompliance<PostgresEngine>(engine);

/// <summary>The event relay over each store, publishing to the in-process bus: valid events out in order, invalid ones never.</summary>
public abstract class EventRelayCompliance<TEngine>(TEngine engine) : ComplianceSuite<TEngine>(engine)
    where TEngine : StoreEngine
{
    [Fact]
    public async Task An_invalid_event_is_never_published_it_is_dead_lettered_with_its_pointer_audited_and_the_relay_moves_on()
    {
        await using var services = Services();
        var (relay, sink, bus) = (services.GetRequiredService<OutboxRelay>(), services.GetRequiredService<EventPublishSink>(), services.GetRequiredService<IEventBus>());
        var tenant = NewTenant();
        var session = Guid.CreateVersion7();
        var ids = services.GetRequiredService<IIdGenerator>();

        var before = Event(tenant, session, "before", ids);
        var invalid = Event(tenant, session, "broken", ids);
        var after = Event(tenant, session, "after", ids);

        // The middle one loses its required content: the schema refuses it at /data.
        var broken = JsonNode.Parse(invalid.Payload)!;
        broken["data"]!.AsObject().Remove("content");
        invalid = invalid with { Payload = broken.ToJsonString() };
        await InTransactionAsync(async tx =>
        {
            foreach (var m in (OutboxMessage[])[before, invalid, after])
            {
                Assert.True(await Ports.Outbox.AppendAsync(tx, m));
            }
        });

        using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (received, subscriber) = Receive(bus, tenant, 3, reading.Token);

        var pass = await relay.PassAsync(sink.Route, sink, "relay-1", 50, tenant, CancellationToken.None);
        Assert.Equal(new RelayPass(3, 2, 1, 1, null), pass);

        var dead = await Ports.Outbox.GetAsync(tenant, invalid.Id);
        Assert.Equal(OutboxStatus.DeadLettered, dead!.Status);
        Assert.Contains("/data", dead.LastError, StringComparison.Ordinal);
        Assert.Contains("content", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(OutboxStatus.Sent, (await Ports.Outbox.GetAsync(tenant, before.Id))!.Status);
        Assert.Equal(OutboxStatus.Sent, (await Ports.Outbox.GetAsync(tenant, after.Id))!.Status);

        var audit = Assert.Single((await Ports.Audit.ListAsync(tenant, new PageRequest(10), "event.rejected")).Items);
        Assert.Equal($"event:{invalid.Id}", audit.Resource);
        Assert.Contains("/data", audit.Details, StringComparison.Ordinal);

        // The audit event is itself an event: the next pass publishes it, valid.
        var next = await relay.PassAsync(sink.Route, sink, "relay-1", 50, tenant, CancellationToken.None);
        Assert.Equal(new RelayPass(1, 1, 0, 0, null), next);
        await subscriber.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([before.Id, after.Id], received.Take(2).Select(d => d.Id));
        Assert.DoesNotContain(received, d => d.Id == invalid.Id);
        Assert.All(received.Take(2), d => Assert.Equal(EventSubjects.For(tenant, SchemaNames.Conversation), d.Subject));
        Assert.Equal(before.Payload, Encoding.UTF8.GetString(received[0].Payload.Span));
        var auditEvent = JsonDocument.Parse(received[2].Payload).RootElement;
        Assert.Equal(EventSubjects.For(tenant, SchemaNames.Audit), received[2].Subject);
        Assert.Equal("event.rejected", auditEvent.GetProperty("data").GetProperty("action").GetString());
        Assert.Equal(0, (await relay.PassAsync(sink.Route, sink, "relay-1", 50, tenant, CancellationToken.None)).Claimed);
    }

    [Fact]
    public async Task A_row_of_a_tenant_that_is_not_subject_safe_or_whose_envelope_names_another_tenant_is_refused()
    {
        await using var services = Services();
        var (relay, sink) = (services.GetRequiredService<OutboxRelay>(), services.GetRequiredService<EventPublishSink>());
        var ids = services.GetRequiredService<IIdGenerator>();
        var tenant = NewTenant();
        var other = Event(NewTenant(), Guid.CreateVersion7(), "x", ids);
        var mismatch = other with { TenantId = tenant };
        await InTransactionAsync(tx => Ports.Outbox.AppendAsync(tx, mismatch));

        var pass = await relay.PassAsync(sink.Route, sink, "relay-1", 50, tenant, CancellationToken.None);
        Assert.Equal(1, pass.DeadLettered);
        Assert.Contains("/tenant_id", (await Ports.Outbox.GetAsync(tenant, mismatch.Id))!.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_commit_s_events_in_one_row_are_published_one_by_one_in_order_and_one_invalid_event_holds_back_its_whole_row()
    {
        await using var services = Services();
        var (relay, sink, bus) = (services.GetRequiredService<OutboxRelay>(), services.GetRequiredService<EventPublishSink>(), services.GetRequiredService<IEventBus>());
        var tenant = NewTenant();
        var session = Guid.CreateVersion7();
        var ids = services.GetRequiredService<IIdGenerator>();

        // Two commits of three events each (decision 0017); in the second the middle event loses its required content.
        var good = Enumerable.Range(0, 3).Select(i => Event(tenant, session, $"good {i}", ids)).ToList();
        var bad = Enumerable.Range(0, 3).Select(i => Event(tenant, session, $"bad {i}", ids)).ToList();
        var broken = JsonNode.Parse(bad[1].Payload)!;
        broken["data"]!.AsObject().Remove("content");
        bad[1] = bad[1] with { Payload = broken.ToJsonString() };
        var (goodRow, badRow) = (Assert.Single(OutboxBundles.Pack(good)), Assert.Single(OutboxBundles.Pack(bad)));
        await InTransactionAsync(async tx =>
        {
            Assert.True(await Ports.Outbox.AppendAsync(tx, goodRow));
            Assert.True(await Ports.Outbox.AppendAsync(tx, badRow));
        });

        using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (received, subscriber) = Receive(bus, tenant, 4, reading.Token);

        // Two rows claimed: the first sent (its three events published), the second dead-lettered, naming its event.
        var pass = await relay.PassAsync(sink.Route, sink, "relay-1", 50, tenant, CancellationToken.None);
        Assert.Equal(new RelayPass(2, 1, 1, 1, null), pass);
        Assert.Equal(OutboxStatus.Sent, (await Ports.Outbox.GetAsync(tenant, goodRow.Id))!.Status);
        var dead = (await Ports.Outbox.GetAsync(tenant, badRow.Id))!;
        Assert.Equal(OutboxStatus.DeadLettered, dead.Status);
        Assert.Contains(bad[1].Id.ToString(), dead.LastError, StringComparison.Ordinal);
        Assert.Contains("/data", dead.LastError, StringComparison.Ordinal);

        // The audit event of the refusal follows; none of the refused row's events was published.
        await relay.PassAsync(sink.Route, sink, "relay-1", 50, tenant, CancellationToken.None);
        await subscriber.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(good.Select(e => e.Id), received.Take(3).Select(d => d.Id));
        Assert.Equal(good.Select(e => e.Payload), received.Take(3).Select(d => Encoding.UTF8.GetString(d.Payload.Span)));
        Assert.All(received.Take(3), d => Assert.Equal(EventSubjects.For(tenant, SchemaNames.Conversation), d.Subject));
        Assert.Equal(EventSubjects.For(tenant, SchemaNames.Audit), received[3].Subject);
        Assert.DoesNotContain(received, d => bad.Any(e => e.Id == d.Id));
    }

    // The tenant's deliveries, collected until there are count of them.
    private static (List<BusDelivery> Received, Task Done) Receive(IEventBus bus, string tenant, int count, CancellationToken cancellationToken)
    {
        var received = new List<BusDelivery>();
        var done = Task.Run(async () =>
        {
            await foreach (var delivery in bus.SubscribeAsync(new BusSubscription(EventSubjects.Tenant(tenant)), cancellationToken))
            {
                received.Add(delivery);
                if (received.Count == count)
                {
                    return;
                }
            }
        });
        return (received, done);
    }

    private ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<IIdGenerator>(new UuidV7Generator(Clock));
        services.AddSingleton(Ports.Store);
        services.AddSingleton(Ports.Outbox);
        services.AddSingleton(Ports.Audit);
        services.AddSomaMessaging();
        return services.BuildServiceProvider();
    }

    private OutboxMessage Event(string tenant, Guid session, string text, IIdGenerator ids)
    {
        var context = EventContext.FromActivity(null, tenant, "soma/test", session.ToString()) with { SessionId = session };
        var envelope = context.Create(new UserMessage(Guid.CreateVersion7(), text), ids, Clock);
        return OutboxMessages.For(envelope, EventJson.Serialize(envelope), session.ToString());
    }
}
