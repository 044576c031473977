using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Tests.Live;

/// <summary>A process as far as the live stream goes: its own NATS connection and its own stream, wired as a host wires them.</summary>
internal sealed class LiveProcess : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private LiveProcess(ServiceProvider provider)
    {
        _provider = provider;
        Stream = provider.GetRequiredService<ISessionStream>();
        Connection = provider.GetRequiredService<INatsConnection>();
    }

    public ISessionStream Stream { get; }

    public INatsConnection Connection { get; }

    public static async Task<LiveProcess> StartAsync(string url)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ISessionStream, InProcessSessionStream>();
        services.AddSingleton<INatsConnection>(_ => new NatsConnection(new NatsOpts { Url = url, ConnectTimeout = TimeSpan.FromSeconds(15) }));
        services.AddNatsSessionStream();
        var process = new LiveProcess(services.BuildServiceProvider());
        await process.Connection.ConnectAsync();
        return process;
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
