using System.Globalization;
using Soma.Tools.Registry;
using Soma.Tools.Sdk;

namespace Soma.Tools.BuiltIn;

/// <summary><c>time.now</c>, written with the tool SDK: the generator makes <see cref="NowTool"/> of <see cref="Now"/>.</summary>
public static partial class TimeTools
{
    /// <summary>The current date and time (ISO 8601), in UTC or in the given IANA time zone.</summary>
    /// <param name="context">The call; its clock is the time told.</param>
    /// <param name="timezone">An IANA time zone such as Europe/Paris; UTC when omitted.</param>
    /// <returns>The time, e.g. <c>2026-07-14T12:30:05+02:00 (Europe/Paris)</c>.</returns>
    [Tool("time.now")]
    public static ToolResult Now(ToolContext context, string? timezone = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(timezone) || timezone is "UTC" or "Etc/UTC")
        {
            return new ToolResult(context.Now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + " (UTC)");
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timezone, out var info))
        {
            return ToolResult.Failed(ToolArguments.InvalidArguments, $"Unknown time zone '{timezone}'.");
        }

        var local = TimeZoneInfo.ConvertTime(context.Now, info);
        return new ToolResult(local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) + $" ({info.Id})");
    }
}
