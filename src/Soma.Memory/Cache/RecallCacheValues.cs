using System.Text.Json;
using Soma.Core.Memory;
using Soma.Memory.Protocol;

namespace Soma.Memory.Cache;

/// <summary>Cached values: the protocol's wire JSON, so a cached answer reads back exactly as the service sent it.</summary>
internal static class RecallCacheValues
{
    public static byte[] Serialize(RecallResponse response) =>
        JsonSerializer.SerializeToUtf8Bytes(response with { Cached = false }, MemoryJson.Default.RecallResponse);

    public static RecallResponse Deserialize(ReadOnlySpan<byte> utf8) =>
        (JsonSerializer.Deserialize(utf8, MemoryJson.Default.RecallResponse) ?? throw new JsonException("A cached recall was null."))
        with
        { Cached = true };
}
