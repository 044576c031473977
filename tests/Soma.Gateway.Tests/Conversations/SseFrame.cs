using System.Text.Json;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>One server-sent event as a client sees it: <c>id:</c>, <c>event:</c>, <c>data:</c>, or a comment line alone.</summary>
/// <param name="Id">The <c>id:</c> field (durable events only).</param>
/// <param name="Event">The <c>event:</c> field.</param>
/// <param name="Data">The <c>data:</c> lines joined by newlines; empty for a comment.</param>
/// <param name="Comment">The text after <c>:</c> of a comment line (e.g. <c>keepalive</c>), else null.</param>
internal sealed record SseFrame(long? Id, string? Event, string Data, string? Comment)
{
    public bool IsDelta => Event == "conversation.assistant_delta";

    /// <summary>The <c>data</c> object of the event's envelope.</summary>
    public JsonElement EventData => JsonDocument.Parse(Data).RootElement.GetProperty("data").Clone();

    /// <summary>The whole envelope.</summary>
    public JsonElement Envelope => JsonDocument.Parse(Data).RootElement.Clone();
}
