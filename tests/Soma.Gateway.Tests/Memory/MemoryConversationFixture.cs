using Soma.Gateway.Tests.Conversations;
using Soma.Server.Dev;

namespace Soma.Gateway.Tests.Memory;

/// <summary>
/// A server with the embedded memory service (the default) and the loopback model, for tests of what a user sees of
/// memory through the API. Tests use fresh tenants; those that queue scripted answers run one at a time within their class.
/// </summary>
public sealed class MemoryConversationFixture : IAsyncLifetime
{
    public const string ModelId = "soma-dev";

    public DevModelServer Model { get; private set; } = null!;

    public RunningServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var configuration = Conversation.Model("dev", Model, ModelId);
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        Server = await RunningServer.StartAsync(configuration);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Model.DisposeAsync();
    }
}
