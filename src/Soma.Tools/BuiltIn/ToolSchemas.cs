using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.BuiltIn;

/// <summary>Parses the built-in tools' schemas once.</summary>
internal static class ToolSchemas
{
    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>The string property <paramref name="name"/> of an arguments object, or null when absent.</summary>
    public static string? OptionalString(JsonElement arguments, string name, out ToolResult? error)
    {
        error = null;
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            error = ToolResult.Failed("tool.invalid_arguments", "The arguments must be a JSON object.");
            return null;
        }

        if (!arguments.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = ToolResult.Failed("tool.invalid_arguments", $"Argument '{name}' must be a string.");
            return null;
        }

        return value.GetString();
    }
}
