using Microsoft.Extensions.DependencyInjection;
using Soma.Server.Dev;

namespace Soma.Gateway.Tests.Web;

/// <summary>The browser fixture with a model: the server's only endpoint is a loopback <see cref="DevModelServer"/>.</summary>
public class ChatBrowserFixture : BrowserFixture
{
    public DevModelServer Model { get; private set; } = null!;

    protected override async Task<RunningServer> StartServerAsync()
    {
        Model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var configuration = new Dictionary<string, string?>
        {
            ["Soma:Models:Endpoints:dev:Endpoint"] = Model.BaseAddress.ToString(),
            ["Soma:Models:Endpoints:dev:Model"] = "soma-dev",
            // A turn waits 1.5 s for its recall by default; on a loaded CI machine (every suite at once) a healthy recall
            // can take longer and the turn would rightly be marked degraded, which no browser test here is about.
            ["Soma:Memory:RecallTimeoutMilliseconds"] = "15000",
        };
        Configure(configuration);
        return await RunningServer.StartAsync(configuration, services: ConfigureServices);
    }

    /// <summary>Adds to (or changes) the server's configuration before it starts.</summary>
    protected virtual void Configure(Dictionary<string, string?> configuration)
    {
    }

    /// <summary>Adds services (e.g. a test tool) after the server's own.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Model is not null)
        {
            await Model.DisposeAsync();
        }
    }
}
