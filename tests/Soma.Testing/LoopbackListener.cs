using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Soma.Testing;

/// <summary>
/// The HTTP listener of the loopback stand-ins for third-party peers (SomaBrain, OPA): a bare Kestrel on 127.0.0.1 that
/// hands every request to one handler. Small socket write buffers, so a response the stand-in cuts reaches the client as
/// far as it was written before the abort; a short shutdown, so a stop (the peer going away) is quick.
/// </summary>
public static class LoopbackListener
{
    /// <summary>Starts listening on <paramref name="port"/> (0: a free one) and returns the app and its port.</summary>
    public static async Task<(WebApplication App, int Port)> StartAsync(RequestDelegate handler, int port = 0)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddLogging();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.Configure<SocketTransportOptions>(sockets => sockets.MaxWriteBufferSize = 2);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        if (port == 0)
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            port = new Uri(address).Port;
        }

        return (app, port);
    }
}
