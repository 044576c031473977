using System.Text.Json;
using System.Text.Json.Serialization;

namespace Soma.Contracts.Events;

/// <summary>The wire format of events: snake_case names, enums as snake_case strings, absent values omitted.</summary>
public static class EventJson
{
    /// <summary>The serializer options every event uses.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes an event to its wire JSON.</summary>
    public static string Serialize<TData>(EventEnvelope<TData> @event)
        where TData : IEventData => JsonSerializer.Serialize(@event, Options);

    /// <summary>Serializes an event envelope to UTF-8 JSON, as <see cref="Serialize{TData}"/> writes it as text.</summary>
    public static byte[] SerializeToUtf8Bytes<TData>(EventEnvelope<TData> @event)
        where TData : IEventData => JsonSerializer.SerializeToUtf8Bytes(@event, Options);

    /// <summary>Serializes an event to a JSON element (for validation or embedding).</summary>
    public static JsonElement SerializeToElement<TData>(EventEnvelope<TData> @event)
        where TData : IEventData => JsonSerializer.SerializeToElement(@event, Options);

    /// <summary>Reads an event of a known data type.</summary>
    /// <exception cref="JsonException">The JSON does not hold such an event.</exception>
    public static EventEnvelope<TData> Deserialize<TData>(string json)
        where TData : IEventData =>
        JsonSerializer.Deserialize<EventEnvelope<TData>>(json, Options) ?? throw new JsonException("The JSON is null, not an event.");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
