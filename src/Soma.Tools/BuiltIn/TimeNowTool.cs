using System.Globalization;
using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.BuiltIn;

/// <summary><c>time.now</c>: the current time, in UTC or in an IANA time zone.</summary>
public sealed class TimeNowTool : ITool
{
    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"timezone":{"type":"string","description":"An IANA time zone such as Europe/Paris; UTC when omitted."}},"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => "time.now";

    /// <inheritdoc />
    public string Description => "The current date and time (ISO 8601), in UTC or in the given IANA time zone.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var zone = ToolSchemas.OptionalString(arguments, "timezone", out var error);
        if (error is not null)
        {
            return ValueTask.FromResult(error);
        }

        if (string.IsNullOrWhiteSpace(zone) || zone is "UTC" or "Etc/UTC")
        {
            return ValueTask.FromResult(new ToolResult(context.Now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + " (UTC)"));
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var info))
        {
            return ValueTask.FromResult(ToolResult.Failed("tool.invalid_arguments", $"Unknown time zone '{zone}'."));
        }

        var local = TimeZoneInfo.ConvertTime(context.Now, info);
        return ValueTask.FromResult(new ToolResult(local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) + $" ({info.Id})"));
    }
}
