using Soma.Testing;

namespace Soma.Messaging.Nats.Tests;

public sealed class NatsServerTests
{
    [Fact]
    public async Task Starts_with_jetstream_and_stops()
    {
        await using var server = await NatsServer.StartNewAsync();
        Assert.Contains("JetStream", server.Output(), StringComparison.Ordinal);
        await server.StopAsync();
        await server.StartAsync();
        Assert.Contains("Server is ready", server.Output(), StringComparison.Ordinal);
    }
}
