using NATS.Client.Core;
using Soma.Core.Signals;
using Soma.Testing;

namespace Soma.Messaging.Nats.Tests;

/// <summary>Wake-ups between two processes (two connections) on a real nats-server.</summary>
public sealed class NatsWakeBusTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private NatsServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await NatsServer.StartNewAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_wake_up_in_one_process_reaches_the_subscribers_of_its_topic_in_another_and_stops_after_dispose()
    {
        await using var gatewayConnection = new NatsConnection(new NatsOpts { Url = _server.Url });
        await using var workerConnection = new NatsConnection(new NatsOpts { Url = _server.Url });
        IWakeBus gateway = new NatsWakeBus(gatewayConnection);
        IWakeBus worker = new NatsWakeBus(workerConnection);

        var runs = 0;
        var other = 0;
        var subscription = worker.Subscribe("runs", () => Interlocked.Increment(ref runs));
        using var unrelated = worker.Subscribe("memory", () => Interlocked.Increment(ref other));

        // The subscription is made in the background: wake until the first one arrives.
        await EventuallyAsync(() =>
        {
            gateway.Wake("runs");
            return Volatile.Read(ref runs) > 0;
        });
        var seen = Volatile.Read(ref runs);
        gateway.Wake("runs");
        await EventuallyAsync(() => Volatile.Read(ref runs) > seen);
        Assert.Equal(0, Volatile.Read(ref other));

        subscription.Dispose();
        await Task.Delay(200);
        var afterDispose = Volatile.Read(ref runs);
        gateway.Wake("runs");
        await gatewayConnection.PingAsync();
        await workerConnection.PingAsync();
        await Task.Delay(200);
        Assert.Equal(afterDispose, Volatile.Read(ref runs));
    }

    [Fact]
    public async Task A_wake_up_while_the_server_is_down_is_dropped_without_an_error_and_listening_resumes_after_it()
    {
        await using var gatewayConnection = new NatsConnection(new NatsOpts { Url = _server.Url });
        await using var workerConnection = new NatsConnection(new NatsOpts { Url = _server.Url });
        IWakeBus gateway = new NatsWakeBus(gatewayConnection);
        var runs = 0;
        using var subscription = new NatsWakeBus(workerConnection).Subscribe("runs", () => Interlocked.Increment(ref runs));
        await EventuallyAsync(() =>
        {
            gateway.Wake("runs");
            return Volatile.Read(ref runs) > 0;
        });

        await _server.StopAsync();
        gateway.Wake("runs");
        await _server.StartAsync();

        var before = Volatile.Read(ref runs);
        await EventuallyAsync(() =>
        {
            gateway.Wake("runs");
            return Volatile.Read(ref runs) > before;
        });
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the wake-up did not arrive in time");
            await Task.Delay(50);
        }
    }
}
