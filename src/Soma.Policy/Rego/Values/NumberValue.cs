using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary>
/// A number: an exact integer of any size, or a double. Integral results stay integers (<c>4 / 2 == 2</c>); integral
/// doubles are stored as integers, so <c>2.0 == 2</c> and both hash alike. Arithmetic mixing an integer and a float is
/// done in doubles.
/// </summary>
public sealed class NumberValue : Value
{
    private static readonly NumberValue[] Small = [.. Enumerable.Range(-16, 273).Select(i => new NumberValue(new BigInteger(i)))];
    private readonly BigInteger _integer;
    private readonly double _float;

    private NumberValue(BigInteger integer)
    {
        _integer = integer;
        IsInteger = true;
    }

    private NumberValue(double value)
    {
        _float = value;
        IsInteger = false;
    }

    /// <summary>Whether the number is an exact integer.</summary>
    public bool IsInteger { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Number;

    /// <summary>The integer; only when <see cref="IsInteger"/>.</summary>
    public BigInteger Integer => IsInteger ? _integer : throw new InvalidOperationException("The number is not an integer.");

    /// <summary>The number as a double (large integers lose precision).</summary>
    public double AsDouble => IsInteger ? (double)_integer : _float;

    /// <summary>An integer.</summary>
    public static NumberValue FromInteger(long value) =>
        value is >= -16 and <= 256 ? Small[value + 16] : new NumberValue(new BigInteger(value));

    /// <summary>An integer of any size.</summary>
    public static NumberValue FromInteger(BigInteger value) =>
        value >= -16 && value <= 256 ? Small[(int)value + 16] : new NumberValue(value);

    /// <summary>A double; an integral double within ±2^53 becomes an integer. NaN and infinities are refused.</summary>
    public static NumberValue FromDouble(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Rego numbers are finite.");
        }

        return Math.Floor(value) == value && Math.Abs(value) <= 9007199254740992d
            ? FromInteger(new BigInteger(value))
            : new NumberValue(value);
    }

    /// <summary>Parses a JSON/Rego number literal (<c>12</c>, <c>-3.5</c>, <c>1e3</c>); integral literals are exact.</summary>
    public static NumberValue Parse(string text)
    {
        if (TryParse(text, out var number))
        {
            return number;
        }

        throw new FormatException($"'{text}' is not a number.");
    }

    /// <summary>Parses a JSON/Rego number literal.</summary>
    public static bool TryParse(string text, out NumberValue number)
    {
        if (text.AsSpan().IndexOfAny('.', 'e', 'E') < 0 && BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            number = FromInteger(integer);
            return true;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            number = TryExactInteger(text, out var exact) ? FromInteger(exact) : FromDouble(value);
            return true;
        }

        number = null!;
        return false;
    }

    /// <summary>The number as a <see cref="long"/>, when it is an integer in range.</summary>
    public bool TryGetInt64(out long value)
    {
        if (IsInteger && _integer >= long.MinValue && _integer <= long.MaxValue)
        {
            value = (long)_integer;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>The number as an <see cref="int"/>, when it is an integer in range.</summary>
    public bool TryGetInt32(out int value)
    {
        if (IsInteger && _integer >= int.MinValue && _integer <= int.MaxValue)
        {
            value = (int)_integer;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Sum.</summary>
    public static NumberValue operator +(NumberValue left, NumberValue right) =>
        left.IsInteger && right.IsInteger ? FromInteger(left._integer + right._integer) : FromDouble(left.AsDouble + right.AsDouble);

    /// <summary>Difference.</summary>
    public static NumberValue operator -(NumberValue left, NumberValue right) =>
        left.IsInteger && right.IsInteger ? FromInteger(left._integer - right._integer) : FromDouble(left.AsDouble - right.AsDouble);

    /// <summary>Product.</summary>
    public static NumberValue operator *(NumberValue left, NumberValue right) =>
        left.IsInteger && right.IsInteger ? FromInteger(left._integer * right._integer) : FromDouble(left.AsDouble * right.AsDouble);

    /// <summary>Negation.</summary>
    public static NumberValue operator -(NumberValue value) => value.IsInteger ? FromInteger(-value._integer) : FromDouble(-value._float);

    /// <summary>Quotient: exact when it divides, else a double. Dividing by zero throws <see cref="DivideByZeroException"/>.</summary>
    public static NumberValue Divide(NumberValue left, NumberValue right)
    {
        if (right.IsZero)
        {
            throw new DivideByZeroException();
        }

        if (left.IsInteger && right.IsInteger)
        {
            var quotient = BigInteger.DivRem(left._integer, right._integer, out var remainder);
            if (remainder.IsZero)
            {
                return FromInteger(quotient);
            }
        }

        return FromDouble(left.AsDouble / right.AsDouble);
    }

    /// <summary>Whether the number is zero.</summary>
    public bool IsZero => IsInteger ? _integer.IsZero : _float == 0;

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer) => writer.WriteRawValue(ToString(), skipInputValidation: true);

    /// <inheritdoc />
    public override int GetHashCode() =>
        // Integers beyond 2^53 equal the double they round to (comparison goes through doubles), so both hash as that double.
        IsInteger && BigInteger.Abs(_integer) <= MaxExactDouble ? _integer.GetHashCode() : AsDouble.GetHashCode();

    private static readonly BigInteger MaxExactDouble = new(9007199254740992d);

    /// <summary>The shortest text that reads back as the same number (<c>R</c> format for floats).</summary>
    public override string ToString() =>
        IsInteger ? _integer.ToString(CultureInfo.InvariantCulture) : _float.ToString("R", CultureInfo.InvariantCulture);

    private protected override int CompareSameKind(Value other)
    {
        var right = (NumberValue)other;
        if (IsInteger && right.IsInteger)
        {
            return _integer.CompareTo(right._integer);
        }

        return AsDouble.CompareTo(right.AsDouble);
    }

    private protected override bool EqualsSameKind(Value other) => CompareSameKind(other) == 0;

    // "1e3" and "100.0" are integers written as floats: keep them exact.
    private static bool TryExactInteger(string text, out BigInteger value)
    {
        value = default;
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            if (decimal.Truncate(d) != d)
            {
                return false;
            }

            value = new BigInteger(d);
            return true;
        }

        // Beyond decimal's range ("1e30"): digits times a power of ten, exact when the exponent leaves no fraction.
        var exponentAt = text.AsSpan().IndexOfAny('e', 'E');
        if (exponentAt < 0 || !int.TryParse(text.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent))
        {
            return false;
        }

        var mantissa = text[..exponentAt];
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            exponent -= mantissa.Length - dot - 1;
            mantissa = mantissa.Remove(dot, 1);
        }

        if (exponent < 0 || exponent > 400 || !BigInteger.TryParse(mantissa, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var digits))
        {
            return false;
        }

        value = digits * BigInteger.Pow(10, exponent);
        return true;
    }
}
