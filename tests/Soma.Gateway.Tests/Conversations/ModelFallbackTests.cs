using System.Runtime.Versioning;
using Soma.Server.Dev;
using static Soma.Gateway.Tests.Conversations.Conversation;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>A primary model that fails before any text moves the call to the next model; an open breaker skips it.</summary>
[SupportedOSPlatform("linux")]
public sealed class ModelFallbackTests(TwoModelsFixture fixture) : IClassFixture<TwoModelsFixture>
{
    public static TheoryData<string> Failures => ["status 500", "status 429 with Retry-After", "first byte after the timeout", "malformed stream"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_primary_failure_before_any_text_is_answered_by_the_second_model(string failure)
    {
        var models = fixture.Models;
        models.Model.Enqueue(failure switch
        {
            "status 500" => ScriptedResponse.Error(500),
            "status 429 with Retry-After" => ScriptedResponse.Error(429, retryAfterSeconds: 1),
            "first byte after the timeout" => ScriptedResponse.Text("too late") with { FirstByteDelay = TimeSpan.FromSeconds(TwoModels.PrimaryTimeoutSeconds * 6) },
            _ => ScriptedResponse.Text("never shown") with { MalformedAfterChunks = 0 },
        }, TwoModels.PrimaryId);
        var (primary, secondary) = (models.PrimaryCalls, models.SecondaryCalls);

        using var client = models.Server.For(ServerFixture.NewTenant());
        var session = await CreateSessionAsync(client);
        using var events = await SseConnection.OpenAsync(client, session);
        var sent = await SendAsync(client, session, "hello fallback");
        var end = await events.ReadUntilAsync(f => f.Event is "run.succeeded" or "run.failed");
        Assert.Equal("run.succeeded", end.Event);

        var final = Assert.Single(events.Frames, f => f.Event == "conversation.assistant_final").EventData;
        Assert.Equal("secondary", final.GetProperty("model").GetString());
        Assert.Equal("You said: hello fallback", final.GetProperty("content").GetString());
        Assert.Equal(final.GetProperty("content").GetString(), UiText(events.Frames, sent.ReplyId));
        Assert.DoesNotContain(events.Frames, f => f.Event == "step.retrying");
        Assert.Equal(primary + 1, models.PrimaryCalls);
        Assert.Equal(secondary + 1, models.SecondaryCalls);
    }
}
