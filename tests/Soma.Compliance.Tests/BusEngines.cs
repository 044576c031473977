using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Soma.Core.Messaging;
using Soma.Messaging.Nats;
using Soma.Testing;

namespace Soma.Compliance.Tests;

/// <summary>
/// A fresh, prepared bus that sees only its own test's messages, and the schemas it stores: made up per bus, so that on a
/// shared NATS server each test's stream takes subjects no other stream takes.
/// </summary>
public sealed record BusUnderTest(IEventBus Bus, IReadOnlyList<string> Schemas, IAsyncDisposable Owner) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Owner.DisposeAsync();
}

/// <summary>A bus adapter the bus compliance suite runs against.</summary>
public abstract class BusEngine : IAsyncLifetime
{
    public abstract string Name { get; }

    public abstract Task<BusUnderTest> CreateAsync();

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected static IReadOnlyList<string> NewSchemas()
    {
        var prefix = $"x{Guid.NewGuid():N}"[..12];
        return [$"{prefix}.runs.v1", $"{prefix}.steps.v1"];
    }
}

public sealed class InProcessBusEngine : BusEngine
{
    public override string Name => "in-process";

    public override Task<BusUnderTest> CreateAsync()
    {
        var schemas = NewSchemas();
        var bus = new InProcessEventBus(TimeProvider.System, new InProcessEventBusOptions { Schemas = [.. schemas] });
        return Task.FromResult(new BusUnderTest(bus, schemas, new Nothing()));
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public sealed class NatsBusEngine : BusEngine
{
    private NatsServer? _server;

    public override string Name => "nats";

    public NatsServer Server => _server ?? throw new InvalidOperationException("The NATS server has not started.");

    public override async ValueTask InitializeAsync() => _server = await NatsServer.StartNewAsync();

    public override async Task<BusUnderTest> CreateAsync()
    {
        var schemas = NewSchemas();
        var options = new NatsBusOptions { Url = Server.Url, Stream = $"T{Guid.NewGuid():N}", TimeoutSeconds = 5 };
        var connection = NatsConnectionFactory.Create(options);
        var bus = new NatsEventBus(connection, Options.Create(options), schemas);
        await bus.PrepareAsync();
        return new BusUnderTest(bus, schemas, new Owner(connection, options.Stream));
    }

    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    // Deletes the test's stream so the server does not collect them, then closes the connection.
    private sealed class Owner(NatsConnection connection, string stream) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await new NatsJSContext(connection).DeleteStreamAsync(stream);
            }
            catch (NatsException)
            {
                // A test that stopped the server leaves it; the server's store goes with the fixture.
            }

            await connection.DisposeAsync();
        }
    }
}
