using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.Sdk;

/// <summary>
/// Reads a tool's JSON arguments into parameters, for the code the tools source generator writes. Arguments reach a tool
/// already validated against its schema by the <c>ToolInvoker</c>; these checks keep a direct call (a test, another
/// caller) as safe, and throw a <see cref="ToolFailureException"/> <c>tool.invalid_arguments</c> that names the argument.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ToolArguments
{
    /// <summary>The code of an argument error.</summary>
    public const string InvalidArguments = "tool.invalid_arguments";

    /// <summary>Fails unless <paramref name="arguments"/> is a JSON object.</summary>
    public static void EnsureObject(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            throw new ToolFailureException(InvalidArguments, "The arguments must be a JSON object.");
        }
    }

    /// <summary>The argument <paramref name="name"/> when present and not null.</summary>
    public static bool TryGet(JsonElement arguments, string name, out JsonElement value) =>
        arguments.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>The argument <paramref name="name"/>, which must be present and not null.</summary>
    public static JsonElement Required(JsonElement arguments, string name) =>
        TryGet(arguments, name, out var value) ? value : throw Invalid(name, "is required");

    /// <summary>A string.</summary>
    public static string ReadString(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid(name, "must be a string");

    /// <summary>A boolean.</summary>
    public static bool ReadBoolean(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Invalid(name, "must be true or false"),
    };

    /// <summary>A 32-bit integer.</summary>
    public static int ReadInt32(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
        : value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var whole) && whole == decimal.Truncate(whole) && whole is >= int.MinValue and <= int.MaxValue ? (int)whole
        : throw Invalid(name, $"must be an integer from {int.MinValue} to {int.MaxValue}");

    /// <summary>A 64-bit integer.</summary>
    public static long ReadInt64(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number
        : value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var whole) && whole == decimal.Truncate(whole) && whole is >= long.MinValue and <= long.MaxValue ? (long)whole
        : throw Invalid(name, "must be a 64-bit integer");

    /// <summary>A number.</summary>
    public static double ReadDouble(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number) ? number : throw Invalid(name, "must be a number");

    /// <summary>A decimal number.</summary>
    public static decimal ReadDecimal(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number) ? number : throw Invalid(name, "must be a decimal number");

    /// <summary>An array, each item read by <paramref name="read"/>.</summary>
    public static T[] ReadArray<T>(JsonElement value, string name, Func<JsonElement, string, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(name, "must be an array");
        }

        var items = new T[value.GetArrayLength()];
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            items[index] = read(item, string.Create(CultureInfo.InvariantCulture, $"{name}[{index}]"));
            index++;
        }

        return items;
    }

    /// <summary>The failure for argument <paramref name="name"/>: it <paramref name="problem"/>.</summary>
    public static ToolFailureException Invalid(string name, string problem) => new(InvalidArguments, $"Argument '{name}' {problem}.");

    /// <summary>The failure for an enum argument that is none of <paramref name="allowed"/>.</summary>
    public static ToolFailureException NotOneOf(string name, string allowed) => Invalid(name, $"must be one of: {allowed}");
}
