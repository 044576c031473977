using System.Text;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using Soma.Core.Health;
using Soma.Core.Messaging;
using Soma.Testing;

namespace Soma.Messaging.Nats.Tests;

/// <summary>What only the NATS bus has: a server that goes away, a stream on disk, set-up shared by processes.</summary>
public sealed class NatsEventBusTests : IAsyncLifetime
{
    private const string Secret = "hunter2-not-shown";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private NatsServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await NatsServer.StartNewAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_publish_while_the_server_is_down_fails_transiently_and_what_was_stored_survives_the_restart()
    {
        await using var bus = await BusAsync();
        var before = Message("acme", "{\"before\":true}");
        await bus.Bus.PublishAsync(before);

        await _server.StopAsync();
        var lost = Message("acme", "{\"down\":true}");
        var down = await Assert.ThrowsAsync<EventBusException>(() => bus.Bus.PublishAsync(lost));
        Assert.True(down.IsTransient);
        Assert.DoesNotContain(Secret, down.ToString(), StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Down, (await bus.Bus.CheckHealthAsync()).Status);

        await _server.StartAsync();
        var after = Message("acme", "{\"after\":true}");
        await PublishUntilConnectedAsync(bus.Bus, after);
        Assert.Equal(HealthStatus.Normal, (await bus.Bus.CheckHealthAsync()).Status);

        // File storage: the message from before the outage is still there, and in front of the new one. A publish that
        // failed may still have been stored (the client had written it before it saw the server go): failing means
        // "not known to be stored", so a caller publishes it again, and the message id keeps it single.
        await PublishUntilConnectedAsync(bus.Bus, lost);
        var read = await TakeAsync(bus.Bus, new BusSubscription("soma.acme.>"), 3);
        Assert.Equal(before.Id, read[0].Id);
        Assert.Equal([before.Id, lost.Id, after.Id], read.Select(d => d.Id).Order());
        Assert.Equal(3, read.Select(d => d.Id).Distinct().Count());
    }

    [Fact]
    public async Task Prepare_is_safe_again_and_from_several_processes_at_once()
    {
        var stream = $"S{Guid.NewGuid():N}";
        var buses = new List<TestBus>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                buses.Add(await BusAsync(stream, prepare: false));
            }

            await Task.WhenAll(buses.Select(b => b.Bus.PrepareAsync()));
            await buses[0].Bus.PrepareAsync();

            var info = await new NatsJSContext(buses[0].Connection).GetStreamAsync(stream);
            Assert.Equal(buses[0].Bus.StreamSubjects.Order(), info.Info.Config.Subjects!.Order());
            Assert.Equal(NATS.Client.JetStream.Models.StreamConfigStorage.File, info.Info.Config.Storage);
            Assert.Equal(TimeSpan.FromSeconds(120), info.Info.Config.DuplicateWindow);
            Assert.Equal(TimeSpan.FromHours(168), info.Info.Config.MaxAge);
        }
        finally
        {
            foreach (var bus in buses)
            {
                await bus.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Prepare_updates_the_retention_of_an_existing_stream()
    {
        var stream = $"S{Guid.NewGuid():N}";
        await using (var first = await BusAsync(stream))
        {
            await first.Bus.PublishAsync(Message("acme", "{}"));
        }

        await using var second = await BusAsync(stream, prepare: false, configure: o => o.MaxAgeHours = 2);
        await second.Bus.PrepareAsync();
        var info = await new NatsJSContext(second.Connection).GetStreamAsync(stream);
        Assert.Equal(TimeSpan.FromHours(2), info.Info.Config.MaxAge);
        Assert.Equal(1, info.Info.State.Messages);
    }

    [Fact]
    public async Task The_stream_does_not_take_live_subjects_published_on_core_nats()
    {
        await using var bus = await BusAsync();
        await bus.Connection.PublishAsync(EventSubjects.Live("acme", Guid.NewGuid()), Encoding.UTF8.GetBytes("{\"delta\":\"hi\"}"));
        var stored = Message("acme", "{}");
        await bus.Bus.PublishAsync(stored);

        var info = await new NatsJSContext(bus.Connection).GetStreamAsync(bus.Stream);
        Assert.Equal(1, info.Info.State.Messages);
        Assert.Equal(stored.Id, Assert.Single(await TakeAsync(bus.Bus, new BusSubscription(">"), 1)).Id);
    }

    [Fact]
    public async Task Health_names_the_provider_host_and_stream_and_never_the_password()
    {
        await using var bus = await BusAsync();
        var health = await bus.Bus.CheckHealthAsync();
        Assert.Equal("bus", health.Name);
        Assert.Equal(HealthStatus.Normal, health.Status);
        Assert.Equal("nats", health.Details["provider"]);
        Assert.Equal($"127.0.0.1:{_server.Port}", health.Details["url"]);
        Assert.Equal(bus.Stream, health.Details["stream"]);
        Assert.DoesNotContain(health.Details.Values, v => v?.ToString()?.Contains(Secret, StringComparison.Ordinal) == true);
    }

    private static BusMessage Message(string tenant, string json) =>
        new(Guid.CreateVersion7(), EventSubjects.For(tenant, "agent.runs.v1"), Encoding.UTF8.GetBytes(json));

    // Reconnecting takes the client a moment after the server is back: the first publishes may still fail, transiently.
    private static async Task PublishUntilConnectedAsync(IEventBus bus, BusMessage message)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            try
            {
                await bus.PublishAsync(message, deadline.Token);
                return;
            }
            catch (EventBusException ex) when (ex.IsTransient && !deadline.IsCancellationRequested)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private static async Task<List<BusDelivery>> TakeAsync(IEventBus bus, BusSubscription subscription, int count)
    {
        var read = new List<BusDelivery>();
        using var deadline = new CancellationTokenSource(Deadline);
        await foreach (var delivery in bus.SubscribeAsync(subscription, deadline.Token))
        {
            read.Add(delivery);
            if (read.Count == count)
            {
                break;
            }
        }

        return read;
    }

    private async Task<TestBus> BusAsync(string? stream = null, bool prepare = true, Action<NatsBusOptions>? configure = null)
    {
        // The test server has no authorization: the password is only there to be kept out of errors and health.
        var options = new NatsBusOptions { Url = _server.Url, Stream = stream ?? $"S{Guid.NewGuid():N}", User = "soma", Password = Secret, TimeoutSeconds = 10 };
        configure?.Invoke(options);
        var connection = NatsConnectionFactory.Create(options);
        var bus = new NatsEventBus(connection, Options.Create(options));
        if (prepare)
        {
            await bus.PrepareAsync();
        }

        return new TestBus(bus, connection, options.Stream);
    }
}
