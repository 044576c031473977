using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.BuiltIn;

/// <summary>Helpers for writing a tool: its schema parsed once, its arguments read with clear errors.</summary>
public static class ToolSchemas
{
    /// <summary>A JSON schema (or any JSON) as an element that outlives its document.</summary>
    public static JsonElement Parse(string json) => JsonElement.Parse(json);

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

    /// <summary>The non-blank string property <paramref name="name"/> of at most <paramref name="maxLength"/> characters, or empty with an error naming it.</summary>
    public static string RequiredText(JsonElement arguments, string name, int maxLength, out ToolResult? error)
    {
        var text = OptionalString(arguments, name, out error);
        if (error is null && (string.IsNullOrWhiteSpace(text) || text.Length > maxLength))
        {
            error = ToolResult.Failed("tool.invalid_arguments", $"Argument '{name}' is required: 1 to {maxLength} characters.");
        }

        return error is null ? text! : string.Empty;
    }

    /// <summary>The integer property <paramref name="name"/> in <paramref name="min"/>..<paramref name="max"/>, <paramref name="fallback"/> when absent, or an error naming it.</summary>
    public static int OptionalInt(JsonElement arguments, string name, int min, int max, int fallback, out ToolResult? error)
    {
        error = null;
        if (arguments.ValueKind != JsonValueKind.Object || !arguments.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            error = ToolResult.Failed("tool.invalid_arguments", $"Argument '{name}' must be an integer from {min} to {max}.");
            return fallback;
        }

        return number;
    }
}
