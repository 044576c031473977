using System.Globalization;

namespace Soma.Gateway.Tools;

/// <summary>
/// A statistics window as the API takes it: a whole number of minutes, hours or days (<c>15m</c>, <c>24h</c>,
/// <c>7d</c>), from one minute to <see cref="MaxDays"/> days, cut into <see cref="Buckets"/> equal buckets.
/// </summary>
internal readonly record struct StatsWindow(string Text, TimeSpan Length)
{
    /// <summary>The buckets of every series: a whole number of milliseconds for any whole number of minutes.</summary>
    public const int Buckets = 24;

    /// <summary>The longest window: the exact percentiles sort the window's durations, so their cost grows with it.</summary>
    public const int MaxDays = 30;

    public const string Default = "24h";

    public const string Rule = "'window' must be a whole number of minutes, hours or days, like 15m, 24h or 7d, from 1m to 30d.";

    public static bool TryParse(string? text, out StatsWindow window)
    {
        window = default;
        text = string.IsNullOrEmpty(text) ? Default : text;
        if (text.Length is < 2 or > 6 || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            return false;
        }

        TimeSpan? length = text[^1] switch
        {
            'm' => TimeSpan.FromMinutes(count),
            'h' => TimeSpan.FromHours(count),
            'd' => TimeSpan.FromDays(count),
            _ => null,
        };
        if (length is not { } value || value > TimeSpan.FromDays(MaxDays))
        {
            return false;
        }

        window = new StatsWindow(text, value);
        return true;
    }
}
