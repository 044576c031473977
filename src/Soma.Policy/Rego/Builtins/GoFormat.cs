using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using System.Text;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

/// <summary>
/// Go's <c>fmt.Sprintf</c> as <c>sprintf</c> sees it: integers arrive as Go ints, other numbers as float64, strings as
/// strings, and every other value as its Rego text (so <c>%v</c> of an object prints <c>{"a": 1}</c>).
/// </summary>
internal static class GoFormat
{
    public static string Sprintf(string format, ImmutableArray<Value> values)
    {
        // `sprintf("%v", [s])` of a string is the string itself: no boxing, no builder, no copy.
        if (values.Length == 1 && values[0] is StringValue only && format is "%v" or "%s")
        {
            return only.Value;
        }

        var args = new object[values.Length];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = values[i] switch
            {
                NumberValue { IsInteger: true } n => n.Integer,
                NumberValue n => n.AsDouble,
                StringValue s => s.Value,
                var other => other.ToString(),
            };
        }

        // Sized for the format and its string arguments, so long arguments do not make the builder grow.
        var capacity = format.Length + 16;
        foreach (var arg in args)
        {
            capacity += arg is string text ? text.Length : 0;
        }

        var output = new StringBuilder(capacity);
        var next = 0;
        var reordered = false;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c != '%')
            {
                output.Append(c);
                continue;
            }

            i++;
            if (i >= format.Length)
            {
                output.Append("%!(NOVERB)");
                break;
            }

            var spec = default(Spec);
            for (; i < format.Length; i++)
            {
                switch (format[i])
                {
                    case '+': spec.Plus = true; continue;
                    case '-': spec.Minus = true; continue;
                    case '#': spec.Sharp = true; continue;
                    case ' ': spec.Space = true; continue;
                    case '0': spec.Zero = true; continue;
                }

                break;
            }

            i = ArgIndex(format, i, ref next, ref reordered, args.Length);
            spec.Width = ReadNumber(format, ref i, args, ref next);
            if (i < format.Length && format[i] == '.')
            {
                i++;
                i = ArgIndex(format, i, ref next, ref reordered, args.Length);
                spec.Precision = ReadNumber(format, ref i, args, ref next) ?? 0;
            }

            i = ArgIndex(format, i, ref next, ref reordered, args.Length);
            if (i >= format.Length)
            {
                output.Append("%!(NOVERB)");
                break;
            }

            var verb = format[i];
            if (verb == '%')
            {
                output.Append('%');
                continue;
            }

            if (next >= args.Length)
            {
                output.Append("%!").Append(verb).Append("(MISSING)");
                continue;
            }

            output.Append(FormatOne(args[next++], verb, spec));
        }

        if (!reordered && next < args.Length)
        {
            output.Append("%!(EXTRA ");
            for (var j = next; j < args.Length; j++)
            {
                output.Append(j == next ? string.Empty : ", ").Append(TypeName(args[j])).Append('=').Append(FormatOne(args[j], 'v', default));
            }

            output.Append(')');
        }

        return output.ToString();
    }

    private struct Spec
    {
        public bool Plus;
        public bool Minus;
        public bool Sharp;
        public bool Space;
        public bool Zero;
        public int? Width;
        public int? Precision;
    }

    private static int ArgIndex(string format, int i, ref int next, ref bool reordered, int count)
    {
        if (i >= format.Length || format[i] != '[')
        {
            return i;
        }

        var close = format.IndexOf(']', i);
        if (close > i && int.TryParse(format.AsSpan(i + 1, close - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index >= 1 && index <= count)
        {
            next = index - 1;
            reordered = true;
            return close + 1;
        }

        return i;
    }

    private static int? ReadNumber(string format, ref int i, object[] args, ref int next)
    {
        if (i < format.Length && format[i] == '*')
        {
            i++;
            if (next < args.Length && args[next] is BigInteger star && star >= -1_000_000 && star <= 1_000_000)
            {
                next++;
                return (int)star;
            }

            next++;
            return null;
        }

        var start = i;
        while (i < format.Length && format[i] is >= '0' and <= '9')
        {
            i++;
        }

        return i > start && int.TryParse(format.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 1_000_000 ? n : null;
    }

    private static string TypeName(object arg) => arg switch
    {
        BigInteger b => b >= long.MinValue && b <= long.MaxValue ? "int" : "*big.Int",
        double => "float64",
        _ => "string",
    };

    private static string Bad(object arg, char verb) => $"%!{verb}({TypeName(arg)}={FormatOne(arg, 'v', default)})";

    private static string FormatOne(object arg, char verb, Spec spec)
    {
        if (verb == 'T')
        {
            return Pad(TypeName(arg), spec, false);
        }

        switch (arg)
        {
            case BigInteger integer:
                return verb switch
                {
                    'v' or 'd' => Integer(integer, 10, spec, string.Empty),
                    'b' => Integer(integer, 2, spec, spec.Sharp ? "0b" : string.Empty),
                    'o' => Integer(integer, 8, spec, spec.Sharp ? "0" : string.Empty),
                    'O' => Integer(integer, 8, spec, "0o"),
                    'x' => Integer(integer, 16, spec, spec.Sharp ? "0x" : string.Empty),
                    'X' => Integer(integer, 16, spec, spec.Sharp ? "0X" : string.Empty).ToUpperInvariant(),
                    'c' => Pad(CodePoint(integer), spec, false),
                    'q' => Pad("'" + CodePoint(integer) + "'", spec, false),
                    'U' => Pad("U+" + ((long)BigInteger.Clamp(integer, 0, 0x10FFFF)).ToString("X4", CultureInfo.InvariantCulture), spec, false),
                    'e' or 'E' or 'f' or 'F' or 'g' or 'G' when integer >= long.MinValue && integer <= long.MaxValue => Bad(arg, verb),
                    'e' or 'E' or 'f' or 'F' or 'g' or 'G' => Float((double)integer, verb, spec),
                    _ => Bad(arg, verb),
                };
            case double d:
                return verb switch
                {
                    'v' => Float(d, 'g', spec),
                    'e' or 'E' or 'f' or 'F' or 'g' or 'G' => Float(d, verb, spec),
                    _ => Bad(arg, verb),
                };
            default:
                var s = (string)arg;
                return verb switch
                {
                    'v' or 's' => Pad(Truncate(s, spec.Precision), spec, false),
                    'q' => Pad(Quote(Truncate(s, spec.Precision)), spec, false),
                    'x' => Pad(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Truncate(s, spec.Precision))), spec, false),
                    'X' => Pad(Convert.ToHexString(Encoding.UTF8.GetBytes(Truncate(s, spec.Precision))), spec, false),
                    _ => Bad(arg, verb),
                };
        }
    }

    private static string CodePoint(BigInteger value) =>
        value >= 0 && value <= 0x10FFFF && (value < 0xD800 || value > 0xDFFF) ? char.ConvertFromUtf32((int)value) : "\uFFFD";

    private static string Truncate(string s, int? precision)
    {
        if (precision is not { } p || p >= s.Length)
        {
            return s;
        }

        var output = new StringBuilder();
        var count = 0;
        foreach (var rune in s.EnumerateRunes())
        {
            if (count++ == p)
            {
                break;
            }

            output.Append(rune.ToString());
        }

        return output.ToString();
    }

    private static string Integer(BigInteger value, int radix, Spec spec, string prefix)
    {
        var digits = ToRadix(BigInteger.Abs(value), radix);
        if (spec.Precision is { } p)
        {
            digits = p == 0 && value.IsZero ? string.Empty : digits.PadLeft(p, '0');
        }

        var sign = value.Sign < 0 ? "-" : spec.Plus ? "+" : spec.Space ? " " : string.Empty;
        return PadNumber(sign + prefix, digits, spec, spec.Precision is null);
    }

    public static string ToRadix(BigInteger value, int radix)
    {
        if (radix == 10)
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }

        if (value.IsZero)
        {
            return "0";
        }

        var text = new StringBuilder();
        while (!value.IsZero)
        {
            var digit = (int)(value % radix);
            text.Insert(0, "0123456789abcdef"[digit]);
            value /= radix;
        }

        return text.ToString();
    }

    private static string PadNumber(string sign, string digits, Spec spec, bool zeroAllowed)
    {
        if (spec.Width is { } width && spec.Zero && !spec.Minus && zeroAllowed && sign.Length + digits.Length < width)
        {
            return sign + new string('0', width - sign.Length - digits.Length) + digits;
        }

        return Pad(sign + digits, spec, false);
    }

    private static string Pad(string text, Spec spec, bool zero)
    {
        if (spec.Width is not { } width)
        {
            return text;
        }

        var length = text.EnumerateRunes().Count();
        if (length >= width)
        {
            return text;
        }

        var padding = new string(zero ? '0' : ' ', width - length);
        return spec.Minus ? text + padding : padding + text;
    }

    private static string Float(double value, char verb, Spec spec)
    {
        var negative = value < 0 || (value == 0 && double.IsNegative(value));
        var abs = Math.Abs(value);
        var body = verb switch
        {
            'f' or 'F' => abs.ToString("F" + (spec.Precision ?? 6).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            'e' or 'E' => Exponent(abs, spec.Precision ?? 6),
            _ => General(abs, spec.Precision),
        };
        if (verb is 'E' or 'G')
        {
            body = body.ToUpperInvariant();
        }

        var sign = negative ? "-" : spec.Plus ? "+" : spec.Space ? " " : string.Empty;
        return PadNumber(sign, body, spec, true);
    }

    /// <summary>Go's <c>%e</c>: <c>d.dddde±XX</c>, at least two exponent digits.</summary>
    private static string Exponent(double abs, int precision)
    {
        var text = abs.ToString("E" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        var exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return text[..e].ToLowerInvariant() + ExponentSuffix(exponent);
    }

    private static string ExponentSuffix(int exponent) =>
        "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);

    /// <summary>Go's <c>%g</c> (and <c>%v</c> of a float): exponent form below 1e-4, or from 10^precision up
    /// (1e6 for the shortest representation, as strconv decides).</summary>
    public static string General(double abs, int? precision)
    {
        if (abs == 0)
        {
            return "0";
        }

        var (digits, point) = Digits(abs, precision);
        var eprec = precision ?? 6;
        if (precision is { } p && p > digits.Length && digits.Length >= point)
        {
            eprec = digits.Length;
        }


        var exponent = point - 1;
        if (exponent < -4 || exponent >= eprec)
        {
            var mantissa = digits.Length == 1 ? digits : digits[..1] + "." + digits[1..];
            return mantissa + ExponentSuffix(exponent);
        }

        if (point <= 0)
        {
            return "0." + new string('0', -point) + digits;
        }

        if (point >= digits.Length)
        {
            return digits + new string('0', point - digits.Length);
        }

        return digits[..point] + "." + digits[point..];
    }

    /// <summary>The significant digits (no trailing zeros) and the decimal point's position: value = 0.DIGITS × 10^point.</summary>
    private static (string Digits, int Point) Digits(double abs, int? precision)
    {
        var text = precision is { } p
            ? abs.ToString("E" + Math.Max(p - 1, 0).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)
            : abs.ToString("E16", CultureInfo.InvariantCulture);
        if (precision is null)
        {
            // The shortest round-tripping digits: "R" text re-read in exponent form.
            var shortest = abs.ToString("R", CultureInfo.InvariantCulture);
            var ePos = shortest.IndexOfAny(['E', 'e']);
            var exp = 0;
            if (ePos >= 0)
            {
                exp = int.Parse(shortest.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                shortest = shortest[..ePos];
            }

            var dot = shortest.IndexOf('.', StringComparison.Ordinal);
            var intPart = dot < 0 ? shortest : shortest[..dot];
            var all = dot < 0 ? shortest : shortest.Remove(dot, 1);
            var pointPos = intPart.Length + exp;
            var lead = 0;
            while (lead < all.Length - 1 && all[lead] == '0')
            {
                lead++;
            }

            all = all[lead..].TrimEnd('0');
            return (all.Length == 0 ? "0" : all, pointPos - lead);
        }

        var e = text.IndexOf('E', StringComparison.Ordinal);
        var exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = text[..e].Replace(".", string.Empty, StringComparison.Ordinal).TrimEnd('0');
        return (mantissa.Length == 0 ? "0" : mantissa, exponent + 1);
    }

    /// <summary>Go's <c>strconv.Quote</c>.</summary>
    public static string Quote(string s)
    {
        var output = new StringBuilder(s.Length + 2).Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\a': output.Append("\\a"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\v': output.Append("\\v"); break;
                default:
                    if (Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned)
                    {
                        output.Append(rune.Value < 0x80 ? $"\\x{rune.Value:x2}" : rune.Value <= 0xFFFF ? $"\\u{rune.Value:x4}" : $"\\U{rune.Value:x8}");
                    }
                    else
                    {
                        output.Append(rune.ToString());
                    }

                    break;
            }
        }

        return output.Append('"').ToString();
    }
}
