using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Soma.Testing;

/// <summary>A loopback webhook receiver that counts deliveries per Idempotency-Key, like a real receiver that dedupes.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, int> CallsByKey { get; } = new(StringComparer.Ordinal);

    public string Url { get; private set; } = "";

    /// <summary>How many deliveries of each key are answered 503 before one is accepted (a flaky receiver); 0 by default.</summary>
    public int FailFirst { get; set; }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", (HttpContext context) =>
        {
            var key = context.Request.Headers["Idempotency-Key"].ToString();
            var calls = receiver.CallsByKey.AddOrUpdate(key, 1, (_, n) => n + 1);
            return calls <= receiver.FailFirst ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable) : Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
