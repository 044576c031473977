using Soma.Testing;

namespace Soma.Messaging.Nats.Tests.Live;

/// <summary>One real nats-server for a test class; tests keep apart by session (and tenant) subjects.</summary>
public sealed class LiveServerFixture : IAsyncLifetime
{
    private NatsServer? _server;

    public NatsServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async ValueTask InitializeAsync() => _server = await NatsServer.StartNewAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
