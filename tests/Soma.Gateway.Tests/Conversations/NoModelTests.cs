using System.Runtime.Versioning;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>A server without any model still takes messages; the turn fails with an error that says how to configure one.</summary>
[SupportedOSPlatform("linux")]
public sealed class NoModelTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Without_a_model_the_turn_ends_with_a_model_not_configured_error_that_says_how_to_configure_one()
    {
        using var client = fixture.Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        var sent = await SendAsync(client, session, "is anybody there?");

        var error = (await events.ReadUntilEventAsync("conversation.error")).EventData;
        Assert.Equal(sent.ReplyId, error.GetProperty("message_id").GetGuid());
        Assert.Equal("model.not_configured", error.GetProperty("error").GetProperty("code").GetString());
        Assert.False(error.GetProperty("error").GetProperty("retryable").GetBoolean());
        var message = error.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("Soma:Models:Endpoints:<name>:Endpoint", message, StringComparison.Ordinal);
        Assert.Contains(":Model", message, StringComparison.Ordinal);
        Assert.Contains("soma dev model-server", message, StringComparison.Ordinal);

        Assert.Contains(events.Frames, f => f.Event == "run.failed");
        Assert.Equal("failed", (await RunEndedAsync(client, sent.RunId)).GetProperty("state").GetString());
        Assert.Equal(["user"], (await MessagesAsync(client, session)).Select(m => m.GetProperty("role").GetString()));
    }
}
