using Microsoft.Extensions.DependencyInjection;
using Soma.Testing.Tools;
using Soma.Tools.Registry;

namespace Soma.Gateway.Tests.Web;

/// <summary>The chat browser fixture with the streaming test tool <c>test.count</c> registered (the admin role is granted every tool).</summary>
public sealed class StreamingToolBrowserFixture : ChatBrowserFixture
{
    public CountTool Tool { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ITool>(Tool);

    public override async ValueTask DisposeAsync()
    {
        // A test that failed while the tool was held must not keep the server from stopping.
        Tool.Release();
        await base.DisposeAsync();
    }
}
