using System.Numerics;
using System.Text;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

/// <summary>Every builtin this engine ships, grouped by area in partial files (<c>StandardLibrary.Strings.cs</c>, …).</summary>
internal static partial class StandardLibrary
{
    public static IEnumerable<Builtin> All()
    {
        var all = new List<Builtin>(256);
        AddOperators(all);
        AddNumbers(all);
        AddAggregates(all);
        AddArrays(all);
        AddSets(all);
        AddObjects(all);
        AddStrings(all);
        AddRegex(all);
        AddGlob(all);
        AddTime(all);
        AddUnits(all);
        AddEncoding(all);
        AddNet(all);
        AddSemver(all);
        AddUuid(all);
        AddCrypto(all);
        AddJwt(all);
        AddTypes(all);
        AddBits(all);
        return all;
    }

    // Messages follow the corpus' wording ("`f` expects numeric argument. Got `x` instead") so a caller can match the
    // stem whatever the value.
    internal static RegoException TypeError(string function, string expected, Value got) =>
        new($"`{function}` expects {expected} argument. Got `{got}` instead");

    internal static RegoException Error(string function, string message) => new($"{function}: {message}");

    internal static NumberValue ArgNumber(string function, Value value) =>
        value as NumberValue ?? throw TypeError(function, "numeric", value);

    internal static string ArgString(string function, Value value) =>
        value is StringValue s ? s.Value : throw TypeError(function, "string", value);

    internal static ArrayValue ArgArray(string function, Value value) =>
        value as ArrayValue ?? throw TypeError(function, "array", value);

    internal static ObjectValue ArgObject(string function, Value value) =>
        value as ObjectValue ?? throw TypeError(function, "object", value);

    internal static SetValue ArgSet(string function, Value value) =>
        value as SetValue ?? throw TypeError(function, "set", value);

    internal static bool ArgBool(string function, Value value) =>
        value is BooleanValue b ? b.Value : throw TypeError(function, "boolean", value);

    /// <summary>An integer operand: a float is an error (OPA's "must be integer").</summary>
    internal static BigInteger ArgInteger(string function, Value value, int position)
    {
        var number = ArgNumber(function, value);
        return number.IsInteger
            ? number.Integer
            : throw Error(function, $"operand {position} must be integer number but got floating-point number");
    }

    internal static int ArgInt32(string function, Value value, int position)
    {
        var integer = ArgInteger(function, value, position);
        return integer >= int.MinValue && integer <= int.MaxValue
            ? (int)integer
            : throw Error(function, $"operand {position} is out of range");
    }

    internal static void Add(List<Builtin> list, string name, int arity, BuiltinFunction function, bool nondeterministic = false) =>
        list.Add(new Builtin(name, arity, function, nondeterministic));

    internal static StringValue Str(string value) => Value.String(value);

    internal static ArrayValue StringArray(List<string> items)
    {
        var values = new Value[items.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Value.String(items[i]);
        }

        return Value.Array(values);
    }

    /// <summary>The members of an array or set as strings (for concat, any_prefix_match, …).</summary>
    internal static IEnumerable<Value> ArrayOrSetItems(string function, Value value) => value switch
    {
        ArrayValue a => a.Items,
        SetValue s => s.Items,
        _ => throw TypeError(function, "array or set", value),
    };

    /// <summary>How many Unicode code points (Go counts runes, not UTF-16 units).</summary>
    internal static int RuneCount(string text)
    {
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
            {
                count++;
            }
            else
            {
                count++;
                i++;
            }
        }

        return count;
    }

    internal static string[] Runes(string text)
    {
        var runes = new List<string>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            runes.Add(rune.ToString());
        }

        return [.. runes];
    }

    internal static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    internal static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
