using System.Numerics;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddTime(List<Builtin> all)
    {
        Add(all, "time.now_ns", 0, (ctx, _) => Value.Number(new BigInteger(ctx.Now.UtcTicks - DateTime.UnixEpoch.Ticks) * 100), nondeterministic: true);
        Add(all, "time.parse_rfc3339_ns", 1, (_, a) => ParseTime("time.parse_rfc3339_ns", GoTime.Rfc3339, ArgString("time.parse_rfc3339_ns", a[0])));
        Add(all, "time.parse_ns", 2, (_, a) => ParseTime("time.parse_ns", ArgString("time.parse_ns", a[0]), ArgString("time.parse_ns", a[1])));
        Add(all, "time.parse_duration_ns", 1, (_, a) =>
        {
            var text = ArgString("time.parse_duration_ns", a[0]);
            return GoTime.ParseDuration(text) is { } ns ? Value.Number(ns) : throw Error("time.parse_duration_ns", $"time: invalid duration \"{text}\"");
        });
        Add(all, "time.date", 1, (_, a) =>
        {
            var t = Instant("time.date", a[0]).Local;
            return Value.Array(Value.Number(t.Year), Value.Number(t.Month), Value.Number(t.Day));
        });
        Add(all, "time.clock", 1, (_, a) =>
        {
            var t = Instant("time.clock", a[0]).Local;
            return Value.Array(Value.Number(t.Hour), Value.Number(t.Minute), Value.Number(t.Second));
        });
        Add(all, "time.weekday", 1, (_, a) => Str(Instant("time.weekday", a[0]).Local.DayOfWeek.ToString()));
        Add(all, "time.format", 1, (_, a) =>
        {
            var layout = a[0] is ArrayValue { Count: 3 } array ? ArgString("time.format", array.Items[2]) : GoTime.Rfc3339Nano;
            var time = a[0] is ArrayValue { Count: 3 } withLayout ? Value.Array(withLayout.Items[0], withLayout.Items[1]) : a[0];
            return Str(GoTime.Format(Instant("time.format", time), layout));
        });
        Add(all, "time.add_date", 4, (_, a) =>
        {
            var (ns, zone) = TimeArg("time.add_date", a[0]);
            var years = ArgInteger("time.add_date", a[1], 2);
            var months = ArgInteger("time.add_date", a[2], 3);
            var days = ArgInteger("time.add_date", a[3], 4);
            if (GoInstant.FromUnixNanos(ns, zone) is not { } t)
            {
                return null;
            }

            // Go's AddDate normalises like time.Date: months carry into years, days overflow into later months.
            var totalMonths = ((t.Local.Year + years) * 12) + (t.Local.Month - 1) + months;
            var year = BigInteger.DivRem(totalMonths, 12, out var monthIndex);
            if (monthIndex.Sign < 0)
            {
                monthIndex += 12;
                year -= 1;
            }

            var dayOffset = t.Local.Day - 1 + days;
            if (year < 1 || year > 9999 || BigInteger.Abs(dayOffset) > 3_700_000)
            {
                return null;
            }

            DateTime local;
            try
            {
                local = new DateTime((int)year, (int)monthIndex + 1, 1, 0, 0, 0, DateTimeKind.Unspecified).AddDays((double)dayOffset) + t.Local.TimeOfDay;
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }

            var offset = zone == TimeZoneInfo.Utc ? TimeSpan.Zero : zone.GetUtcOffset(local);
            var result = new GoInstant(local, t.Nanosecond, offset, zone == TimeZoneInfo.Utc).UnixNanos;
            return result >= long.MinValue && result <= long.MaxValue ? Value.Number(result) : null;
        });
        Add(all, "time.diff", 2, (_, a) =>
        {
            var (ns1, zone1) = TimeArg("time.diff", a[0]);
            var (ns2, _) = TimeArg("time.diff", a[1]);
            if (ns1 > ns2)
            {
                (ns1, ns2) = (ns2, ns1);
            }

            // Both seen in the first argument's zone, as OPA does.
            var t1 = (GoInstant.FromUnixNanos(ns1, zone1) ?? throw Error("time.diff", "time outside of valid range")).Local;
            var t2 = (GoInstant.FromUnixNanos(ns2, zone1) ?? throw Error("time.diff", "time outside of valid range")).Local;
            int year = t2.Year - t1.Year, month = t2.Month - t1.Month, day = t2.Day - t1.Day;
            int hour = t2.Hour - t1.Hour, minute = t2.Minute - t1.Minute, second = t2.Second - t1.Second;
            if (second < 0)
            {
                second += 60;
                minute--;
            }

            if (minute < 0)
            {
                minute += 60;
                hour--;
            }

            if (hour < 0)
            {
                hour += 24;
                day--;
            }

            if (day < 0)
            {
                day += DateTime.DaysInMonth(t1.Year, t1.Month);
                month--;
            }

            if (month < 0)
            {
                month += 12;
                year--;
            }

            return Value.Array(Value.Number(year), Value.Number(month), Value.Number(day), Value.Number(hour), Value.Number(minute), Value.Number(second));
        });
    }

    private static NumberValue ParseTime(string name, string layout, string value)
    {
        var (ns, error) = GoTime.Parse(layout, value);
        if (error is not null)
        {
            throw Error(name, error);
        }

        return ns >= long.MinValue && ns <= long.MaxValue ? Value.Number(ns) : throw Error(name, "time outside of valid range");
    }

    private static (BigInteger Nanos, TimeZoneInfo Zone) TimeArg(string name, Value value)
    {
        switch (value)
        {
            case NumberValue n:
                return (n.IsInteger ? n.Integer : new BigInteger(Math.Truncate(n.AsDouble)), TimeZoneInfo.Utc);
            case ArrayValue { Count: 2 } array when array.Items[0] is NumberValue n && array.Items[1] is StringValue zone:
                return (n.IsInteger ? n.Integer : new BigInteger(Math.Truncate(n.AsDouble)), Zone(name, zone.Value));
            default:
                throw new RegoException($"`{name}` expects `ns` to be a `number` or `array[number, string]`. Got `{value}` instead");
        }
    }

    private static GoInstant Instant(string name, Value value)
    {
        var (ns, zone) = TimeArg(name, value);
        return GoInstant.FromUnixNanos(ns, zone) ?? throw Error(name, "time outside of valid range");
    }

    private static TimeZoneInfo Zone(string name, string zone)
    {
        switch (zone)
        {
            case "" or "UTC":
                return TimeZoneInfo.Utc;
            case "Local":
                return TimeZoneInfo.Local;
            default:
                try
                {
                    return TimeZoneInfo.FindSystemTimeZoneById(zone);
                }
                catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
                {
                    throw Error(name, $"unknown time zone {zone}");
                }
        }
    }
}
