using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Soma.Contracts.Schemas;

/// <summary>
/// The checks the compiled schemas (<see cref="CompiledSchemas"/>) call for what is not a walk of the document. Each
/// gives JsonSchema.Net's verdict (the runtime validator this one stands in for), read from the element's raw UTF-8 so a
/// valid value costs no allocation; where JsonSchema.Net departs from the specification, the comment says so.
/// </summary>
internal static class SchemaChecks
{
    private const int StackChars = 256;

    private delegate bool TextCheck<in TState>(ReadOnlySpan<char> text, TState state);

    /// <summary>
    /// <c>type: integer</c>. JsonSchema.Net reads the number as a double: 1.0, 1e2, 1e-400 (0) and
    /// 1.0000000000000000001 (1) are integers, and so is a number too large for a double.
    /// </summary>
    public static bool IsInteger(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            return true;
        }

        return !double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || double.IsInfinity(d) || Math.Floor(d) == d;
    }

    /// <summary><c>minimum</c>, compared exactly: 0.99999999999999999999 is below 1, -1e-400 is below 0.</summary>
    public static bool AtLeast(JsonElement value, long minimum)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.IndexOfAny((byte)'e', (byte)'E') < 0)
        {
            // No exponent (the usual case): ±(integer part + fraction), fraction in [0, 1), decided without allocating.
            var negative = raw[0] == '-';
            var unsigned = negative ? raw[1..] : raw;
            var dot = unsigned.IndexOf((byte)'.');
            var integer = dot < 0 ? unsigned : unsigned[..dot];
            if (integer.Length <= 18 && long.TryParse(integer, NumberStyles.None, CultureInfo.InvariantCulture, out var whole))
            {
                if (!negative)
                {
                    return whole >= minimum;
                }

                var fraction = dot >= 0 && unsigned[(dot + 1)..].IndexOfAnyExcept((byte)'0') >= 0;
                return minimum <= 0 && (whole < -minimum || (whole == -minimum && !fraction));
            }
        }

        var number = Decimal(raw);
        if (number.IsZero)
        {
            return minimum <= 0;
        }

        if (number.Negative != (minimum < 0))
        {
            // Opposite signs (or a positive number against 0): the positive side is the larger.
            return !number.Negative;
        }

        if (minimum == 0)
        {
            return !number.Negative;
        }

        // Same sign: compare magnitudes, |number| against |minimum|.
        var bound = minimum == long.MinValue ? ulong.MaxValue / 2 + 1 : (ulong)Math.Abs(minimum);
        var order = CompareMagnitude(number, bound);
        return number.Negative ? order <= 0 : order >= 0;
    }

    /// <summary><c>const</c> and <c>enum</c> on a number: equal as numbers (1 equals 1.0), compared exactly.</summary>
    public static bool NumberEquals(JsonElement value, string literal)
    {
        var left = Decimal(JsonMarshal.GetRawUtf8Value(value));
        var right = Decimal(Encoding.UTF8.GetBytes(literal));
        return (left.IsZero && right.IsZero)
            || (left.Negative == right.Negative && left.Exponent == right.Exponent && left.Digits.SequenceEqual(right.Digits));
    }

    /// <summary>
    /// <c>minLength</c>. JsonSchema.Net counts text elements (grapheme clusters: "e" and a combining accent is one),
    /// where the specification counts code points.
    /// </summary>
    public static bool MinLength(JsonElement value, int minimum)
    {
        if (minimum == 0)
        {
            return true;
        }

        var raw = Unquoted(value);
        if (minimum == 1)
        {
            return raw.Length > 0;
        }

        if (raw.IndexOf((byte)'\\') < 0 && Ascii.IsValid(raw))
        {
            // Unescaped ASCII in JSON has no control characters, so no CR LF pair: one byte, one text element.
            return raw.Length >= minimum;
        }

        return WithText(value, minimum, static (text, min) => TextElements(text, min) >= min);
    }

    /// <summary><c>maxLength</c>, in text elements like <see cref="MinLength"/>.</summary>
    public static bool MaxLength(JsonElement value, int maximum)
    {
        // Text elements ≤ UTF-16 units ≤ UTF-8 bytes ≤ raw bytes (an escape is longer than what it stands for).
        return Unquoted(value).Length <= maximum || WithText(value, maximum, static (text, max) => TextElements(text, max + 1) <= max);
    }

    /// <summary><c>pattern</c>: the regex is the ECMAScript pattern translated by the generator.</summary>
    public static bool Matches(JsonElement value, Regex regex) => WithText(value, regex, static (text, r) => r.IsMatch(text));

    // Counts text elements up to a limit (past it, the exact count does not matter).
    private static int TextElements(ReadOnlySpan<char> text, int limit)
    {
        var count = 0;
        while (!text.IsEmpty && count < limit)
        {
            text = text[StringInfo.GetNextTextElementLength(text)..];
            count++;
        }

        return count;
    }

    private static ReadOnlySpan<byte> Unquoted(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        return raw[1..^1];
    }

    // Runs a check on the string's characters: decoded into the stack or a pooled buffer when the JSON has no escape
    // (the common case), else from the unescaped string.
    private static bool WithText<TState>(JsonElement value, TState state, TextCheck<TState> check)
    {
        var raw = Unquoted(value);
        if (raw.IndexOf((byte)'\\') >= 0)
        {
            return check(value.GetString(), state);
        }

        char[]? rented = null;
        var buffer = raw.Length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            var length = Encoding.UTF8.GetChars(raw, buffer);
            return check(buffer[..length], state);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    // A JSON number as sign, significant digits (no leading or trailing zeros) and the power of ten of the last digit.
    private static DecimalText Decimal(ReadOnlySpan<byte> raw)
    {
        var negative = raw.Length > 0 && raw[0] == '-';
        if (negative)
        {
            raw = raw[1..];
        }

        var e = raw.IndexOfAny((byte)'e', (byte)'E');
        long exponent = 0;
        if (e >= 0)
        {
            // An exponent too large for a long is beyond any bound compared here; clamp it.
            exponent = long.TryParse(raw[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed
                : raw[e + 1] == '-' ? long.MinValue / 4 : long.MaxValue / 4;
            raw = raw[..e];
        }

        var dot = raw.IndexOf((byte)'.');
        Span<byte> digits = raw.Length <= StackChars ? stackalloc byte[StackChars] : new byte[raw.Length];
        var count = 0;
        if (dot >= 0)
        {
            raw[..dot].CopyTo(digits);
            raw[(dot + 1)..].CopyTo(digits[dot..]);
            count = raw.Length - 1;
            exponent -= raw.Length - dot - 1;
        }
        else
        {
            raw.CopyTo(digits);
            count = raw.Length;
        }

        var significant = digits[..count].TrimStart((byte)'0');
        var trimmed = significant.TrimEnd((byte)'0');
        exponent += significant.Length - trimmed.Length;
        return new DecimalText(negative, trimmed.ToArray(), exponent);
    }

    private static int CompareMagnitude(DecimalText number, ulong bound)
    {
        // number = Digits × 10^Exponent; its integer part has Digits.Length + Exponent digits.
        var integerDigits = number.Digits.Length + number.Exponent;
        var boundDigits = bound.ToString(CultureInfo.InvariantCulture).Length;
        if (integerDigits != boundDigits)
        {
            return integerDigits > boundDigits ? 1 : -1;
        }

        Span<byte> text = stackalloc byte[20];
        bound.TryFormat(text, out var written, default, CultureInfo.InvariantCulture);
        for (var i = 0; i < written; i++)
        {
            var digit = i < number.Digits.Length ? number.Digits[i] : (byte)'0';
            if (digit != text[i])
            {
                return digit > text[i] ? 1 : -1;
            }
        }

        // The integer parts are equal; any digit left is a fraction.
        return number.Digits.Length > written ? 1 : 0;
    }

    private readonly record struct DecimalText(bool Negative, byte[] Digits, long Exponent)
    {
        public bool IsZero => Digits.Length == 0;
    }
}
