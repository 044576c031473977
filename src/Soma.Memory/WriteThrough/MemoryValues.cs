using System.Text.Json;

namespace Soma.Memory.WriteThrough;

/// <summary>Reading the conversation memories <see cref="MemoryWriteThrough"/> writes: JSON objects with <c>role</c>, <c>text</c>, <c>session_id</c>, <c>message_id</c>.</summary>
public static class MemoryValues
{
    /// <summary>The string field <paramref name="name"/>, or null.</summary>
    public static string? Field(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty(name, out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;

    /// <summary>What was said: the <c>text</c> field, or the whole value as JSON for a memory written by someone else.</summary>
    public static string Text(JsonElement value) => Field(value, "text") ?? value.GetRawText();

    /// <summary>Who said it: the <c>role</c> field, or <c>memory</c>.</summary>
    public static string Role(JsonElement value) => Field(value, "role") ?? "memory";
}
