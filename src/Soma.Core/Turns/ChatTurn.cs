using System.Text.Json;
using System.Text.Json.Serialization;

namespace Soma.Core.Turns;

/// <summary>
/// The <c>chat.turn</c> workflow as the gateway that accepts a message and the agents that run its turn both see it:
/// its name and its input, defined once.
/// </summary>
public static class ChatTurn
{
    /// <summary>The workflow that answers a message.</summary>
    public const string Workflow = "chat.turn";

    /// <summary>The JSON Schema the run input is validated against when the run is accepted.</summary>
    public const string InputSchema = """
        {
          "type": "object",
          "required": ["session_id", "message_id", "reply_id"],
          "properties": {
            "session_id": {"type": "string", "format": "uuid"},
            "message_id": {"type": "string", "format": "uuid"},
            "reply_id": {"type": "string", "format": "uuid"},
            "request_hash": {"type": "string", "maxLength": 200},
            "subject": {"type": "string", "maxLength": 500},
            "roles": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 100}
          },
          "additionalProperties": false
        }
        """;

    /// <summary>How the input is written into a run (snake_case, nulls left out).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The run input for <paramref name="input"/>.</summary>
    public static JsonElement ToInput(TurnInput input) => JsonSerializer.SerializeToElement(input, Json);

    /// <summary>Reads a run's input back.</summary>
    /// <exception cref="JsonException">The input is not a <c>chat.turn</c> input.</exception>
    public static TurnInput ReadInput(JsonElement input) =>
        input.Deserialize<TurnInput>(Json) ?? throw new JsonException("The run has no chat.turn input.");

    /// <summary>Reads a run's stored input (<see cref="Runs.RunRecord.Input"/>) back.</summary>
    /// <exception cref="JsonException">The input is not a <c>chat.turn</c> input.</exception>
    public static TurnInput ReadInput(string input) =>
        JsonSerializer.Deserialize<TurnInput>(input, Json) ?? throw new JsonException("The run has no chat.turn input.");
}

/// <summary>The input of a <c>chat.turn</c> run, written by the gateway when it accepts a message.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="MessageId">The user message that starts the turn.</param>
/// <param name="ReplyId">The id the assistant's answer will have.</param>
/// <param name="RequestHash">A hash of the request body (idempotency: the same key with another body is a conflict).</param>
/// <param name="Subject">Who sent the message (the token subject); absent in turns accepted before it was recorded.</param>
/// <param name="Roles">The sender's roles, which the policy decides tool calls on.</param>
public sealed record TurnInput(Guid SessionId, Guid MessageId, Guid ReplyId, string? RequestHash = null, string? Subject = null, IReadOnlyList<string>? Roles = null);
