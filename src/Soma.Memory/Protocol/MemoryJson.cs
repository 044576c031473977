using System.Text.Json.Serialization;
using Soma.Core.Memory;

namespace Soma.Memory.Protocol;

/// <summary>
/// The SomaBrain protocol's wire format: snake_case JSON, nulls left out. Client and service both read and write
/// through this context, so the two sides cannot drift apart.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(RememberRequest))]
[JsonSerializable(typeof(RememberResponse))]
[JsonSerializable(typeof(RememberBatchRequest))]
[JsonSerializable(typeof(RememberBatchResponse))]
[JsonSerializable(typeof(RecallRequest))]
[JsonSerializable(typeof(RecallResponse))]
[JsonSerializable(typeof(LinkRequest))]
[JsonSerializable(typeof(MemoryHealthResponse))]
[JsonSerializable(typeof(MemoryErrorResponse))]
[JsonSerializable(typeof(MemoryOkResponse))]
public sealed partial class MemoryJson : JsonSerializerContext;

/// <summary>The protocol's error body: <c>{"detail": "…"}</c> (422 for validation, 403 for a tenant mismatch, …).</summary>
/// <param name="Detail">What was wrong, for a person to read.</param>
public sealed record MemoryErrorResponse(string Detail);

/// <summary>A bare acknowledgement: <c>{"ok": true}</c> (the answer to <c>POST /link</c>).</summary>
/// <param name="Ok">Whether the request was carried out.</param>
public sealed record MemoryOkResponse(bool Ok);
