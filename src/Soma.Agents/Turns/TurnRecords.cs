using System.Text.Json;
using System.Text.Json.Serialization;
using Soma.Agents.Models;

namespace Soma.Agents.Turns;

/// <summary>A message of the conversation as the model sees it.</summary>
/// <param name="Role"><c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The text.</param>
/// <param name="ToolCalls">For an assistant message that asked for tools.</param>
/// <param name="ToolCallId">For a tool message: the call it answers.</param>
public sealed record TurnMessage(string Role, string Content, IReadOnlyList<ModelToolCall>? ToolCalls = null, string? ToolCallId = null);

/// <summary>The output of the <c>context</c> step.</summary>
/// <param name="Messages">Recent history, oldest first, ending with the user's message.</param>
/// <param name="Memories">Long-term memories recalled for this turn, best first (null in checkpoints written before recall existed).</param>
/// <param name="AcceptedAt">When the turn's message was accepted, for the time-to-first-delta metric (null in older checkpoints).</param>
public sealed record ContextOutput(IReadOnlyList<TurnMessage> Messages, IReadOnlyList<Memory.RecalledMemory>? Memories = null, DateTimeOffset? AcceptedAt = null);

/// <summary>The output of a <c>model</c> step: its checkpoint, so a resumed turn never calls the model again for it.</summary>
/// <param name="Model">The endpoint that answered.</param>
/// <param name="Text">This round's text.</param>
/// <param name="AllText">The answer so far, every round included.</param>
/// <param name="ToolCalls">Tools the model asked for.</param>
/// <param name="FinishReason">Why the model stopped.</param>
/// <param name="InputTokens">Prompt tokens of the turn so far.</param>
/// <param name="OutputTokens">Completion tokens of the turn so far.</param>
/// <param name="Transcript">Assistant and tool messages of the turn so far, this round's answer included.</param>
public sealed record ModelOutput(
    string Model,
    string Text,
    string AllText,
    IReadOnlyList<ModelToolCall> ToolCalls,
    string FinishReason,
    long InputTokens,
    long OutputTokens,
    IReadOnlyList<TurnMessage> Transcript);

/// <summary>One tool call's result.</summary>
/// <param name="ToolCallId">The call.</param>
/// <param name="Tool">The tool.</param>
/// <param name="Allowed">Whether authorization allowed it.</param>
/// <param name="Output">What the model is told.</param>
/// <param name="ErrorCode">Null on success.</param>
/// <param name="DurationMs">How long it ran.</param>
public sealed record ToolCallResult(string ToolCallId, string Tool, bool Allowed, string Output, string? ErrorCode, double DurationMs);

/// <summary>The output of a <c>tools</c> step.</summary>
/// <param name="Results">One per call, in the model's order.</param>
public sealed record ToolsOutput(IReadOnlyList<ToolCallResult> Results);

/// <summary>The output of the <c>answer</c> step.</summary>
/// <param name="MessageId">The stored answer.</param>
/// <param name="Model">The model of the last round.</param>
/// <param name="Characters">The answer's length.</param>
public sealed record AnswerOutput(Guid MessageId, string Model, int Characters);

/// <summary>How turn records travel in checkpoints: snake_case, like the rest of the API.</summary>
internal static class TurnJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);

    public static T Read<T>(JsonElement element) =>
        element.Deserialize<T>(Options) ?? throw new JsonException($"Expected a {typeof(T).Name}.");
}
