using Soma.Gateway.Tests.Conversations;
using Soma.Server.Dev;
using Soma.Testing;

namespace Soma.Gateway.Tests.Memory;

/// <summary>
/// A server whose memory client points at a <see cref="SomaBrainStandIn"/> the tests switch down and up, with a small
/// per-tenant outbox cap and the loopback model. Its tests run one at a time (one class) and leave the stand-in up.
/// </summary>
public class StandInFixture : IAsyncLifetime
{
    public const string ModelId = "soma-dev";

    /// <summary>The per-tenant cap of waiting memory writes.</summary>
    public const int Cap = 8;

    public DevModelServer Model { get; private set; } = null!;

    public SomaBrainStandIn Memory { get; private set; } = null!;

    public RunningServer Server { get; private set; } = null!;

    /// <summary>The server's roles (all but the memory service, which is the stand-in).</summary>
    protected virtual string Roles => "gateway,worker,relay,sync";

    public async ValueTask InitializeAsync()
    {
        Model = await DevModelServer.StartAsync(new DevModelServerOptions());
        Memory = await SomaBrainStandIn.StartAsync();
        var configuration = Conversation.Model("dev", Model, ModelId);
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        configuration["Soma:Roles"] = Roles;
        configuration["Soma:Memory:OutboxCapPerTenant"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture);
        configuration["Soma:Memory:Client:BaseUrl"] = Memory.BaseAddress.ToString();
        configuration["Soma:Memory:Client:ApiKey"] = Memory.Token;
        configuration["Soma:Memory:Client:MaxRetries"] = "1";
        configuration["Soma:Memory:Client:TimeoutSeconds"] = "2";
        configuration["Soma:Memory:Client:BreakerBreakSeconds"] = "1";
        Server = await RunningServer.StartAsync(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Memory.DisposeAsync();
        await Model.DisposeAsync();
    }
}
