using System.Text.Json.Serialization;

namespace Soma.Messaging.Nats.Live;

/// <summary>
/// The live wire format: snake_case JSON. Nullable annotations and constructor parameters are enforced, so a message
/// missing a field fails to parse (and is ignored) instead of reaching a subscriber half-filled.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(LiveMessage))]
[JsonSerializable(typeof(LiveSnapshot))]
internal sealed partial class LiveJson : JsonSerializerContext;
