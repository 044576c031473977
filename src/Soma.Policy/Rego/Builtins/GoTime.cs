using System.Globalization;
using System.Numerics;
using System.Text;

namespace Soma.Policy.Rego.Builtins;

/// <summary>An instant as Go's time package sees it: wall clock in a zone, nanoseconds, and the zone's offset.</summary>
internal readonly record struct GoInstant(DateTime Local, int Nanosecond, TimeSpan Offset, bool IsUtc)
{
    public static readonly DateTime Epoch = DateTime.UnixEpoch;

    /// <summary>The instant <paramref name="ns"/> nanoseconds after the epoch, seen in <paramref name="zone"/>; null
    /// when outside years 1–9999.</summary>
    public static GoInstant? FromUnixNanos(BigInteger ns, TimeZoneInfo zone)
    {
        var seconds = BigInteger.DivRem(ns, 1_000_000_000, out var remainder);
        if (remainder.Sign < 0)
        {
            remainder += 1_000_000_000;
            seconds -= 1;
        }

        var ticks = (seconds * TimeSpan.TicksPerSecond) + Epoch.Ticks + ((long)remainder / 100);
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return null;
        }

        var utc = new DateTime((long)ticks, DateTimeKind.Utc);
        var offset = zone == TimeZoneInfo.Utc ? TimeSpan.Zero : zone.GetUtcOffset(utc);
        var local = utc + offset;
        return local.Ticks < DateTime.MinValue.Ticks || local > DateTime.MaxValue
            ? null
            : new GoInstant(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), (int)remainder, offset, zone == TimeZoneInfo.Utc);
    }

    /// <summary>Nanoseconds since the epoch.</summary>
    public BigInteger UnixNanos
    {
        get
        {
            var utcTicks = Local.Ticks - Offset.Ticks - Epoch.Ticks;
            var seconds = new BigInteger(utcTicks) / TimeSpan.TicksPerSecond;
            if (utcTicks % TimeSpan.TicksPerSecond < 0)
            {
                seconds -= 1;
            }

            return (seconds * 1_000_000_000) + Nanosecond;
        }
    }
}

/// <summary>Go time layouts (<c>2006-01-02T15:04:05Z07:00</c>) and durations, for <c>time.parse_ns</c>,
/// <c>time.format</c> and <c>time.parse_duration_ns</c>.</summary>
internal static class GoTime
{
    public const string Rfc3339 = "2006-01-02T15:04:05Z07:00";
    public const string Rfc3339Nano = "2006-01-02T15:04:05.999999999Z07:00";

    private static readonly string[] LongMonths = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] LongDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    private enum Std
    {
        None,
        LongMonth,
        Month,
        NumMonth,
        ZeroMonth,
        LongWeekDay,
        WeekDay,
        Day,
        UnderDay,
        ZeroDay,
        UnderYearDay,
        ZeroYearDay,
        Hour,
        Hour12,
        ZeroHour12,
        Minute,
        ZeroMinute,
        Second,
        ZeroSecond,
        LongYear,
        Year,
        PM,
        Pm,
        TZ,
        Iso8601TZ,
        Iso8601SecondsTZ,
        Iso8601ShortTZ,
        Iso8601ColonTZ,
        Iso8601ColonSecondsTZ,
        NumTZ,
        NumSecondsTz,
        NumShortTZ,
        NumColonTZ,
        NumColonSecondsTZ,
        FracSecond0,
        FracSecond9,
    }

    private static (Std Kind, int Length) Match(string layout, int i)
    {
        bool At(string s) => string.CompareOrdinal(layout, i, s, 0, s.Length) == 0 && i + s.Length <= layout.Length;
        switch (layout[i])
        {
            case 'J':
                return At("January") ? (Std.LongMonth, 7) : At("Jan") ? (Std.Month, 3) : default;
            case 'M':
                return At("Monday") ? (Std.LongWeekDay, 6) : At("Mon") ? (Std.WeekDay, 3) : At("MST") ? (Std.TZ, 3) : default;
            case '0':
                if (At("002"))
                {
                    return (Std.ZeroYearDay, 3);
                }

                if (i + 1 < layout.Length && layout[i + 1] is >= '1' and <= '6')
                {
                    Std[] zero = [Std.ZeroMonth, Std.ZeroDay, Std.ZeroHour12, Std.ZeroMinute, Std.ZeroSecond, Std.Year];
                    return (zero[layout[i + 1] - '1'], 2);
                }

                return default;
            case '1':
                return At("15") ? (Std.Hour, 2) : (Std.NumMonth, 1);
            case '2':
                return At("2006") ? (Std.LongYear, 4) : (Std.Day, 1);
            case '_':
                return At("_2006") ? default : At("__2") ? (Std.UnderYearDay, 3) : At("_2") ? (Std.UnderDay, 2) : default;
            case '3':
                return (Std.Hour12, 1);
            case '4':
                return (Std.Minute, 1);
            case '5':
                return (Std.Second, 1);
            case 'P':
                return At("PM") ? (Std.PM, 2) : default;
            case 'p':
                return At("pm") ? (Std.Pm, 2) : default;
            case '-':
                return At("-070000") ? (Std.NumSecondsTz, 7) : At("-07:00:00") ? (Std.NumColonSecondsTZ, 9) : At("-0700") ? (Std.NumTZ, 5)
                    : At("-07:00") ? (Std.NumColonTZ, 6) : At("-07") ? (Std.NumShortTZ, 3) : default;
            case 'Z':
                return At("Z070000") ? (Std.Iso8601SecondsTZ, 7) : At("Z07:00:00") ? (Std.Iso8601ColonSecondsTZ, 9) : At("Z0700") ? (Std.Iso8601TZ, 5)
                    : At("Z07:00") ? (Std.Iso8601ColonTZ, 6) : At("Z07") ? (Std.Iso8601ShortTZ, 3) : default;
            case '.' or ',':
                if (i + 1 < layout.Length && layout[i + 1] is '0' or '9')
                {
                    var digit = layout[i + 1];
                    var j = i + 1;
                    while (j < layout.Length && layout[j] == digit)
                    {
                        j++;
                    }

                    if (j >= layout.Length || !char.IsAsciiDigit(layout[j]))
                    {
                        return (digit == '0' ? Std.FracSecond0 : Std.FracSecond9, j - i);
                    }
                }

                return default;
            default:
                return default;
        }
    }

    public static string Format(GoInstant t, string layout)
    {
        var output = new StringBuilder(layout.Length + 10);
        var local = t.Local;
        for (var i = 0; i < layout.Length;)
        {
            var (kind, length) = Match(layout, i);
            if (kind == Std.None)
            {
                output.Append(layout[i++]);
                continue;
            }

            var inv = CultureInfo.InvariantCulture;
            switch (kind)
            {
                case Std.LongYear: output.Append(local.Year.ToString("0000", inv)); break;
                case Std.Year: output.Append((local.Year % 100).ToString("00", inv)); break;
                case Std.LongMonth: output.Append(LongMonths[local.Month - 1]); break;
                case Std.Month: output.Append(LongMonths[local.Month - 1], 0, 3); break;
                case Std.NumMonth: output.Append(local.Month.ToString(inv)); break;
                case Std.ZeroMonth: output.Append(local.Month.ToString("00", inv)); break;
                case Std.LongWeekDay: output.Append(LongDays[(int)local.DayOfWeek]); break;
                case Std.WeekDay: output.Append(LongDays[(int)local.DayOfWeek], 0, 3); break;
                case Std.Day: output.Append(local.Day.ToString(inv)); break;
                case Std.UnderDay: output.Append(local.Day.ToString(inv).PadLeft(2)); break;
                case Std.ZeroDay: output.Append(local.Day.ToString("00", inv)); break;
                case Std.UnderYearDay: output.Append(local.DayOfYear.ToString(inv).PadLeft(3)); break;
                case Std.ZeroYearDay: output.Append(local.DayOfYear.ToString("000", inv)); break;
                case Std.Hour: output.Append(local.Hour.ToString("00", inv)); break;
                case Std.Hour12: output.Append((local.Hour % 12 == 0 ? 12 : local.Hour % 12).ToString(inv)); break;
                case Std.ZeroHour12: output.Append((local.Hour % 12 == 0 ? 12 : local.Hour % 12).ToString("00", inv)); break;
                case Std.Minute: output.Append(local.Minute.ToString(inv)); break;
                case Std.ZeroMinute: output.Append(local.Minute.ToString("00", inv)); break;
                case Std.Second: output.Append(local.Second.ToString(inv)); break;
                case Std.ZeroSecond: output.Append(local.Second.ToString("00", inv)); break;
                case Std.PM: output.Append(local.Hour >= 12 ? "PM" : "AM"); break;
                case Std.Pm: output.Append(local.Hour >= 12 ? "pm" : "am"); break;
                case Std.TZ: output.Append(t.IsUtc ? "UTC" : Offset(t.Offset, false, false, true)); break;
                case Std.Iso8601TZ or Std.Iso8601ColonTZ or Std.Iso8601ShortTZ or Std.Iso8601SecondsTZ or Std.Iso8601ColonSecondsTZ when t.Offset == TimeSpan.Zero:
                    output.Append('Z');
                    break;
                case Std.Iso8601TZ or Std.NumTZ: output.Append(Offset(t.Offset, false, false, false)); break;
                case Std.Iso8601ColonTZ or Std.NumColonTZ: output.Append(Offset(t.Offset, true, false, false)); break;
                case Std.Iso8601ShortTZ or Std.NumShortTZ: output.Append(Offset(t.Offset, false, false, true)); break;
                case Std.Iso8601SecondsTZ or Std.NumSecondsTz: output.Append(Offset(t.Offset, false, true, false)); break;
                case Std.Iso8601ColonSecondsTZ or Std.NumColonSecondsTZ: output.Append(Offset(t.Offset, true, true, false)); break;
                case Std.FracSecond0:
                    output.Append(layout[i]).Append(t.Nanosecond.ToString("000000000", inv), 0, Math.Min(length - 1, 9));
                    break;
                case Std.FracSecond9:
                    {
                        var digits = t.Nanosecond.ToString("000000000", inv)[..Math.Min(length - 1, 9)].TrimEnd('0');
                        if (digits.Length > 0)
                        {
                            output.Append(layout[i]).Append(digits);
                        }

                        break;
                    }
            }

            i += length;
        }

        return output.ToString();
    }

    private static string Offset(TimeSpan offset, bool colon, bool seconds, bool shortForm)
    {
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        var text = new StringBuilder().Append(sign).Append(abs.Hours.ToString("00", CultureInfo.InvariantCulture));
        if (shortForm && abs.Minutes == 0 && abs.Seconds == 0)
        {
            return text.ToString();
        }

        text.Append(colon ? ":" : string.Empty).Append(abs.Minutes.ToString("00", CultureInfo.InvariantCulture));
        if (seconds)
        {
            text.Append(colon ? ":" : string.Empty).Append(abs.Seconds.ToString("00", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>Parses <paramref name="value"/> with a Go layout: nanoseconds since the epoch, or an error message.</summary>
    public static (BigInteger Nanos, string? Error) Parse(string layout, string value)
    {
        int year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0, yday = -1;
        var pm = (bool?)null;
        var offset = TimeSpan.Zero;
        var v = 0;
        string Fail(string chunk) => $"parsing time \"{value}\" as \"{layout}\": cannot parse \"{value[Math.Min(v, value.Length)..]}\" as \"{chunk}\"";
        for (var i = 0; i < layout.Length;)
        {
            var (kind, length) = Match(layout, i);
            if (kind == Std.None)
            {
                var literalEnd = i + 1;
                while (literalEnd < layout.Length && Match(layout, literalEnd).Kind == Std.None)
                {
                    literalEnd++;
                }

                var literal = layout[i..literalEnd];
                if (string.CompareOrdinal(value, v, literal, 0, literal.Length) != 0 || v + literal.Length > value.Length)
                {
                    return (0, Fail(literal));
                }

                v += literal.Length;
                i = literalEnd;
                continue;
            }

            var chunk = layout.Substring(i, length);
            i += length;
            bool ok;
            switch (kind)
            {
                case Std.LongYear:
                    ok = Number(value, ref v, 4, 4, out year);
                    break;
                case Std.Year:
                    ok = Number(value, ref v, 2, 2, out year);
                    year += year >= 69 ? 1900 : 2000;
                    break;
                case Std.LongMonth or Std.Month:
                    ok = Name(value, ref v, LongMonths, kind == Std.Month, out month);
                    month++;
                    break;
                case Std.NumMonth or Std.ZeroMonth:
                    ok = Number(value, ref v, kind == Std.ZeroMonth ? 2 : 1, 2, out month) && month is >= 1 and <= 12;
                    break;
                case Std.LongWeekDay or Std.WeekDay:
                    ok = Name(value, ref v, LongDays, kind == Std.WeekDay, out _);
                    break;
                case Std.Day or Std.UnderDay or Std.ZeroDay:
                    if (kind == Std.UnderDay && v < value.Length && value[v] == ' ')
                    {
                        v++;
                    }

                    ok = Number(value, ref v, kind == Std.ZeroDay ? 2 : 1, 2, out day);
                    break;
                case Std.UnderYearDay or Std.ZeroYearDay:
                    while (kind == Std.UnderYearDay && v < value.Length && value[v] == ' ')
                    {
                        v++;
                    }

                    ok = Number(value, ref v, kind == Std.ZeroYearDay ? 3 : 1, 3, out yday);
                    break;
                case Std.Hour:
                    ok = Number(value, ref v, 1, 2, out hour) && hour < 24;
                    break;
                case Std.Hour12 or Std.ZeroHour12:
                    ok = Number(value, ref v, kind == Std.ZeroHour12 ? 2 : 1, 2, out hour) && hour <= 12;
                    break;
                case Std.Minute or Std.ZeroMinute:
                    ok = Number(value, ref v, kind == Std.ZeroMinute ? 2 : 1, 2, out minute) && minute < 60;
                    break;
                case Std.Second or Std.ZeroSecond:
                    ok = Number(value, ref v, kind == Std.ZeroSecond ? 2 : 1, 2, out second) && second < 60;
                    // A fraction the layout does not mention is still read, as Go does.
                    if (ok && v + 1 < value.Length && value[v] is '.' or ',' && char.IsAsciiDigit(value[v + 1])
                        && (i >= layout.Length || Match(layout, i).Kind is not (Std.FracSecond0 or Std.FracSecond9)))
                    {
                        v++;
                        ok = Fraction(value, ref v, -1, out nanos);
                    }

                    break;
                case Std.PM or Std.Pm:
                    ok = v + 2 <= value.Length;
                    if (ok)
                    {
                        var ampm = value.Substring(v, 2).ToUpperInvariant();
                        ok = ampm is "AM" or "PM";
                        pm = ampm == "PM";
                        v += 2;
                    }

                    break;
                case Std.TZ:
                    {
                        var start = v;
                        while (v < value.Length && char.IsAsciiLetterUpper(value[v]))
                        {
                            v++;
                        }

                        ok = v - start >= 3;
                        break;
                    }

                case Std.FracSecond0:
                    ok = v < value.Length && value[v] == layout[i - length];
                    if (ok)
                    {
                        v++;
                        ok = Fraction(value, ref v, length - 1, out nanos);
                    }

                    break;
                case Std.FracSecond9:
                    ok = true;
                    if (v + 1 < value.Length && value[v] is '.' or ',' && char.IsAsciiDigit(value[v + 1]))
                    {
                        v++;
                        ok = Fraction(value, ref v, -1, out nanos);
                    }

                    break;
                default:
                    ok = Zone(value, ref v, kind, out offset);
                    break;
            }

            if (!ok)
            {
                return (0, Fail(chunk));
            }
        }

        if (v < value.Length)
        {
            return (0, $"parsing time \"{value}\": extra text: \"{value[v..]}\"");
        }

        if (pm is { } isPm)
        {
            hour = isPm && hour < 12 ? hour + 12 : !isPm && hour == 12 ? 0 : hour;
        }

        if (year is < 1 or > 9999)
        {
            return (0, $"parsing time \"{value}\": year out of range");
        }

        DateTime date;
        if (yday >= 0)
        {
            if (yday < 1 || yday > (DateTime.IsLeapYear(year) ? 366 : 365))
            {
                return (0, $"parsing time \"{value}\": day-of-year out of range");
            }

            date = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Unspecified).AddDays(yday - 1);
        }
        else
        {
            if (day < 1 || day > DateTime.DaysInMonth(year, month))
            {
                return (0, $"parsing time \"{value}\": day out of range");
            }

            date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified);
        }

        var local = date.AddHours(hour).AddMinutes(minute).AddSeconds(second);
        return (new GoInstant(local, nanos, offset, offset == TimeSpan.Zero).UnixNanos, null);
    }

    private static bool Number(string value, ref int v, int min, int max, out int number)
    {
        number = 0;
        var start = v;
        while (v < value.Length && v - start < max && char.IsAsciiDigit(value[v]))
        {
            number = (number * 10) + (value[v++] - '0');
        }

        return v - start >= min;
    }

    private static bool Fraction(string value, ref int v, int exact, out int nanos)
    {
        nanos = 0;
        var start = v;
        var scale = 100_000_000;
        while (v < value.Length && char.IsAsciiDigit(value[v]) && (exact < 0 || v - start < exact))
        {
            nanos += (value[v++] - '0') * scale;
            scale /= 10;
        }

        return exact < 0 ? v > start : v - start == exact;
    }

    private static bool Name(string value, ref int v, string[] names, bool abbreviated, out int index)
    {
        for (index = 0; index < names.Length; index++)
        {
            var name = abbreviated ? names[index][..3] : names[index];
            if (v + name.Length <= value.Length && string.Compare(value, v, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                v += name.Length;
                return true;
            }
        }

        return false;
    }

    private static bool Zone(string value, ref int v, Std kind, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (kind is Std.Iso8601TZ or Std.Iso8601ColonTZ or Std.Iso8601ShortTZ or Std.Iso8601SecondsTZ or Std.Iso8601ColonSecondsTZ && v < value.Length && value[v] == 'Z')
        {
            v++;
            return true;
        }

        if (v >= value.Length || value[v] is not ('+' or '-'))
        {
            return false;
        }

        var negative = value[v++] == '-';
        var colon = kind is Std.Iso8601ColonTZ or Std.NumColonTZ or Std.Iso8601ColonSecondsTZ or Std.NumColonSecondsTZ;
        var withSeconds = kind is Std.Iso8601SecondsTZ or Std.NumSecondsTz or Std.Iso8601ColonSecondsTZ or Std.NumColonSecondsTZ;
        var shortForm = kind is Std.Iso8601ShortTZ or Std.NumShortTZ;
        if (!Number(value, ref v, 2, 2, out var hours))
        {
            return false;
        }

        var minutes = 0;
        var seconds = 0;
        if (!shortForm)
        {
            if ((colon && (v >= value.Length || value[v++] != ':')) || !Number(value, ref v, 2, 2, out minutes))
            {
                return false;
            }

            if (withSeconds && ((colon && (v >= value.Length || value[v++] != ':')) || !Number(value, ref v, 2, 2, out seconds)))
            {
                return false;
            }
        }

        offset = new TimeSpan(hours, minutes, seconds);
        if (negative)
        {
            offset = -offset;
        }

        return true;
    }

    /// <summary>Go's <c>time.ParseDuration</c> in nanoseconds, or null when malformed.</summary>
    public static BigInteger? ParseDuration(string text)
    {
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return BigInteger.Zero;
        }

        if (s.IsEmpty)
        {
            return null;
        }

        var total = 0m;
        while (!s.IsEmpty)
        {
            var n = 0;
            while (n < s.Length && (char.IsAsciiDigit(s[n]) || s[n] == '.'))
            {
                n++;
            }

            if (n == 0 || s[..n] is "." || !decimal.TryParse(s[..n], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return null;
            }

            s = s[n..];
            var u = 0;
            while (u < s.Length && s[u] != '.' && !char.IsAsciiDigit(s[u]))
            {
                u++;
            }

            decimal unit = s[..u] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => 0m,
            };
            if (unit == 0m)
            {
                return null;
            }

            s = s[u..];
            try
            {
                total += decimal.Truncate(amount * unit);
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        var result = new BigInteger(total);
        if (result > long.MaxValue)
        {
            return null;
        }

        return negative ? -result : result;
    }
}
