using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.BuiltIn;

/// <summary>Helpers for writing a tool: its schema parsed once, its arguments read with clear errors.</summary>
public static class ToolSchemas
{
    /// <summary>A JSON schema (or any JSON) as an element that outlives its document.</summary>
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
