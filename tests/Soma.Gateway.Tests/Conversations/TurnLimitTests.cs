using System.Net;
using System.Runtime.Versioning;
using Soma.Server.Dev;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>Soma:Gateway:MaxConcurrentTurns: a tenant's turns in flight are bounded; a turn that ends gives its slot back.</summary>
[SupportedOSPlatform("linux")]
public sealed class TurnLimitTests : IAsyncLifetime
{
    private DevModelServer _model = null!;
    private RunningServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var configuration = Model("dev", _model, "soma-dev");
        configuration["Soma:Gateway:MaxConcurrentTurns"] = "1";
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        _server = await RunningServer.StartAsync(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Fact]
    public async Task A_second_message_while_a_slow_turn_runs_is_429_with_Retry_After_until_the_turn_ends()
    {
        using var client = _server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);

        // The model does not answer the first turn while this test runs: the turn holds the tenant's only slot.
        _model.Enqueue(ScriptedResponse.Text("far too late") with { FirstByteDelay = TimeSpan.FromMinutes(5) });
        var slow = await SendAsync(client, session, "take your time");
        await EventuallyAsync(() => Task.FromResult(_model.Requests.Count), count => count == 1, "the slow turn to call the model");

        var refused = await PostMessageAsync(client, session, Body("me too"));
        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.Contains("Soma:Gateway:MaxConcurrentTurns", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.Equal(["take your time"], (await MessagesAsync(client, session)).Select(m => m.GetProperty("content").GetString()));

        // Another tenant has its own turns.
        using var other = _server.For(ServerFixture.NewTenant());
        var elsewhere = await SendAsync(other, await CreateSessionAsync(other), "hello from elsewhere");
        Assert.Equal("succeeded", (await RunEndedAsync(other, elsewhere.RunId)).GetProperty("state").GetString());

        // Ending the slow turn frees the slot.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/v1/runs/{slow.RunId}/cancel", null)).StatusCode);
        var accepted = await EventuallyAsync(
            () => PostMessageAsync(client, session, Body("my turn now")), r => r.StatusCode == HttpStatusCode.Accepted, "the slot to be given back");
        var next = Accepted(await accepted.Content.ReadAsStringAsync());
        Assert.Equal("succeeded", (await RunEndedAsync(client, next.RunId)).GetProperty("state").GetString());
    }
}
