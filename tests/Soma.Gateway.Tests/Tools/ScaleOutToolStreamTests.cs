using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Soma.Gateway.Tests.Conversations;
using Soma.Server.Dev;
using Soma.Testing;
using Soma.Testing.Tools;
using Soma.Tools.Registry;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Tools;

/// <summary>
/// Scale-out: a gateway and a worker as two servers on one PostgreSQL and one NATS. The tool runs in the worker (only it
/// has <c>test.count</c>), and the gateway's event stream shows its output live, then the durable output.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ScaleOutToolStreamTests : IAsyncLifetime
{
    private readonly CountTool _tool = new();
    private PostgresServer _postgres = null!;
    private NatsServer _nats = null!;
    private DevModelServer _model = null!;
    private RunningServer _worker = null!;
    private RunningServer _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _nats = await NatsServer.StartNewAsync();
        _model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var connectionString = await _postgres.CreateDatabaseAsync();
        Dictionary<string, string?> Configuration(string roles)
        {
            var configuration = Model("dev", _model, ConversationFixture.ModelId);
            configuration["Soma:Roles"] = roles;
            configuration["Soma:Store:Provider"] = "postgres";
            configuration["Soma:Store:Postgres:ConnectionString"] = connectionString;
            configuration["Soma:Bus:Provider"] = "nats";
            configuration["Soma:Bus:Nats:Url"] = _nats.Url;
            configuration["Soma:Gateway:SseKeepAliveSeconds"] = "1";
            configuration["Soma:Orchestration:PollMilliseconds"] = "20";
            return configuration;
        }

        _worker = await RunningServer.StartAsync(Configuration("worker,relay"), services: services => services.AddSingleton<ITool>(_tool));
        _gateway = await RunningServer.StartAsync(Configuration("gateway"));
    }

    public async ValueTask DisposeAsync()
    {
        _tool.Release();
        await _gateway.DisposeAsync();
        await _worker.DisposeAsync();
        await _model.DisposeAsync();
        await _nats.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task A_tool_running_in_a_worker_streams_its_output_through_another_processes_gateway()
    {
        using var client = _gateway.For(ServerFixture.NewTenant(), "operator", "admin");
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        await SendAsync(client, session, StreamingToolFixture.CountMessage(6, holdAfter: 3));

        await events.ReadUntilAsync(_ => ToolText(events.Frames).Contains("line 3\n", StringComparison.Ordinal));
        Assert.Equal(CountTool.Expected(3), ToolText(events.Frames));
        Assert.DoesNotContain(events.Frames, f => f.Event == "tool.output");

        _tool.Release();
        var output = (await events.ReadUntilEventAsync("tool.output")).EventData;
        Assert.Equal(CountTool.Expected(6), output.GetProperty("chunk").GetString());
        Assert.Equal(CountTool.Expected(6), ToolText(events.Frames));
        Assert.Equal(1, _tool.Calls);
    }

    private static string ToolText(IEnumerable<SseFrame> frames)
    {
        var text = new StringBuilder();
        foreach (var data in frames.Where(f => f.Event == "tool.output_delta").Select(f => f.EventData))
        {
            if (data.GetProperty("seq").GetInt32() == 0)
            {
                text.Clear();
            }

            text.Append(data.GetProperty("chunk").GetString());
        }

        return text.ToString();
    }
}
