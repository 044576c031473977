using Microsoft.Extensions.DependencyInjection;
using Soma.Gateway.Tests.Conversations;
using Soma.Server.Dev;
using Soma.Testing.Tools;
using Soma.Tools.Registry;

namespace Soma.Gateway.Tests.Tools;

/// <summary>
/// A server with the loopback dev model and the streaming test tool <c>test.count</c> (granted to the admin role, as
/// every tool is). Tests drive it with <c>[[tool:test.count {…}]]</c> and hold it mid-output with <c>hold_after</c>.
/// </summary>
public sealed class StreamingToolFixture : IAsyncLifetime
{
    public CountTool Tool { get; } = new();

    public DevModelServer Model { get; private set; } = null!;

    public RunningServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var configuration = Conversation.Model("dev", Model, ConversationFixture.ModelId);
        configuration["Soma:Gateway:SseKeepAliveSeconds"] = "1";
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        Server = await RunningServer.StartAsync(configuration, services: services => services.AddSingleton<ITool>(Tool));
    }

    public async ValueTask DisposeAsync()
    {
        // A test that failed while the tool was held must not keep the server from stopping.
        Tool.Release();
        await Server.DisposeAsync();
        await Model.DisposeAsync();
    }

    /// <summary>A message that makes the model call <c>test.count</c>.</summary>
    public static string CountMessage(int count, int? holdAfter = null) =>
        holdAfter is { } hold
            ? $$"""[[tool:test.count {"count": {{count}}, "hold_after": {{hold}}}]]"""
            : $$"""[[tool:test.count {"count": {{count}}}]]""";
}
