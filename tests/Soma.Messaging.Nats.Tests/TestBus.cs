using NATS.Client.Core;

namespace Soma.Messaging.Nats.Tests;

/// <summary>A bus on its own connection, closed on dispose.</summary>
internal sealed record TestBus(NatsEventBus Bus, NatsConnection Connection, string Stream) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
