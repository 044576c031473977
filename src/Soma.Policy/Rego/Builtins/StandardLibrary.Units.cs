using System.Numerics;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    // Decimal suffixes are case-sensitive where SI needs it (m is milli, M is mega); binary ones ("Ki") are not.
    private static readonly Dictionary<string, int> DecimalUnits = new(StringComparer.Ordinal)
    {
        [string.Empty] = 0,
        ["Q"] = 30,
        ["R"] = 27,
        ["Y"] = 24,
        ["Z"] = 21,
        ["E"] = 18,
        ["e"] = 18,
        ["P"] = 15,
        ["p"] = 15,
        ["T"] = 12,
        ["t"] = 12,
        ["G"] = 9,
        ["g"] = 9,
        ["M"] = 6,
        ["K"] = 3,
        ["k"] = 3,
        ["h"] = 2,
        ["da"] = 1,
        ["d"] = -1,
        ["c"] = -2,
        ["m"] = -3,
        ["μ"] = -6,
        ["µ"] = -6,
        ["n"] = -9,
        ["f"] = -15,
        ["a"] = -18,
        ["z"] = -21,
        ["y"] = -24,
        ["r"] = -27,
        ["q"] = -30,
    };

    private static readonly Dictionary<string, int> BinaryUnits = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ki"] = 10,
        ["mi"] = 20,
        ["gi"] = 30,
        ["ti"] = 40,
        ["pi"] = 50,
        ["ei"] = 60,
        ["zi"] = 70,
        ["yi"] = 80,
    };

    private static readonly Dictionary<string, int> ByteUnits = new(StringComparer.Ordinal)
    {
        [string.Empty] = 0,
        ["k"] = 3,
        ["kb"] = 3,
        ["m"] = 6,
        ["mb"] = 6,
        ["g"] = 9,
        ["gb"] = 9,
        ["t"] = 12,
        ["tb"] = 12,
        ["p"] = 15,
        ["pb"] = 15,
        ["e"] = 18,
        ["eb"] = 18,
        ["z"] = 21,
        ["zb"] = 21,
        ["y"] = 24,
        ["yb"] = 24,
        ["r"] = 27,
        ["rb"] = 27,
        ["q"] = 30,
        ["qb"] = 30,
    };

    private static void AddUnits(List<Builtin> all)
    {
        Add(all, "units.parse", 1, (_, a) => ParseUnits("units.parse", ArgString("units.parse", a[0]), bytes: false));
        Add(all, "units.parse_bytes", 1, (_, a) => ParseUnits("units.parse_bytes", ArgString("units.parse_bytes", a[0]), bytes: true));
    }

    private static NumberValue? ParseUnits(string name, string text, bool bytes)
    {
        text = text.Replace("\"", string.Empty, StringComparison.Ordinal);
        if (text.Contains(' ', StringComparison.Ordinal))
        {
            throw Error(name, "spaces not allowed in resource strings");
        }

        var end = 0;
        var dot = -1;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || (text[end] == '.' && dot < 0)))
        {
            if (text[end] == '.')
            {
                dot = end;
            }

            end++;
        }

        var amount = text[..end];
        if (amount.Replace(".", string.Empty, StringComparison.Ordinal).Length == 0)
        {
            throw Error(name, "no amount provided");
        }

        var suffix = text[end..];
        var decimals = dot < 0 ? 0 : end - dot - 1;
        var mantissa = BigInteger.Parse(amount.Replace(".", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        BigInteger numerator;
        var denominator = BigInteger.Pow(10, decimals);
        if (bytes)
        {
            var lower = suffix.ToLowerInvariant();
            if (lower.EndsWith('b') && BinaryUnits.TryGetValue(lower[..^1], out var binaryBytes))
            {
                numerator = mantissa << binaryBytes;
            }
            else if (BinaryUnits.TryGetValue(lower, out var binary))
            {
                numerator = mantissa << binary;
            }
            else if (ByteUnits.TryGetValue(lower, out var exponent))
            {
                numerator = mantissa * BigInteger.Pow(10, exponent);
            }
            else
            {
                return null;
            }

            return Value.Number(numerator / denominator);
        }

        if (BinaryUnits.TryGetValue(suffix, out var shift))
        {
            numerator = mantissa << shift;
        }
        else if (DecimalUnits.TryGetValue(suffix, out var exponent))
        {
            if (exponent >= 0)
            {
                numerator = mantissa * BigInteger.Pow(10, exponent);
            }
            else
            {
                numerator = mantissa;
                decimals -= exponent;
                denominator = BigInteger.Pow(10, decimals);
            }
        }
        else
        {
            return null;
        }

        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        return remainder.IsZero ? Value.Number(quotient) : Value.Number(double.Parse(
            $"{numerator}e-{decimals}", System.Globalization.CultureInfo.InvariantCulture));
    }
}
