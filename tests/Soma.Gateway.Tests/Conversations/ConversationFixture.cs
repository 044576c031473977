using Soma.Server.Dev;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>
/// A server whose one model, <c>dev</c>, is a loopback <see cref="DevModelServer"/>, with keepalives every second and the
/// default body limits. Tests use fresh tenants; those that queue scripted answers run one at a time within their class.
/// </summary>
public sealed class ConversationFixture : IAsyncLifetime
{
    public const string ModelId = "soma-dev";

    public DevModelServer Model { get; private set; } = null!;

    public RunningServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var configuration = Conversation.Model("dev", Model, ModelId);
        configuration["Soma:Gateway:SseKeepAliveSeconds"] = "1";
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        Server = await RunningServer.StartAsync(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Model.DisposeAsync();
    }
}
