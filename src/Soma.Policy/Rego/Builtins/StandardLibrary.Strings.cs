using System.Globalization;
using System.Text;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddStrings(List<Builtin> all)
    {
        Add(all, "concat", 2, (_, a) =>
        {
            var delimiter = ArgString("concat", a[0]);
            var text = new StringBuilder();
            var first = true;
            foreach (var item in ArrayOrSetItems("concat", a[1]))
            {
                text.Append(first ? string.Empty : delimiter).Append(ArgString("concat", item));
                first = false;
            }

            return Str(text.ToString());
        });
        Add(all, "contains", 2, (_, a) => Value.Bool(ArgString("contains", a[0]).Contains(ArgString("contains", a[1]), StringComparison.Ordinal)));
        Add(all, "startswith", 2, (_, a) => Value.Bool(ArgString("startswith", a[0]).StartsWith(ArgString("startswith", a[1]), StringComparison.Ordinal)));
        Add(all, "endswith", 2, (_, a) => Value.Bool(ArgString("endswith", a[0]).EndsWith(ArgString("endswith", a[1]), StringComparison.Ordinal)));
        Add(all, "format_int", 2, (_, a) =>
        {
            var number = ArgNumber("format_int", a[0]);
            var baseNumber = ArgNumber("format_int", a[1]);
            if (!baseNumber.TryGetInt32(out var radix) || radix is not (2 or 8 or 10 or 16))
            {
                throw new RegoException("`format_int` expects base to be one of 2, 8, 10, 16");
            }

            var integer = number.IsInteger ? number.Integer : new System.Numerics.BigInteger(Math.Truncate(number.AsDouble));
            var digits = GoFormat.ToRadix(System.Numerics.BigInteger.Abs(integer), radix);
            return Str(integer.Sign < 0 ? "-" + digits : digits);
        });
        Add(all, "indexof", 2, (_, a) =>
        {
            var text = ArgString("indexof", a[0]);
            var search = ArgString("indexof", a[1]);
            if (text.Length == 0)
            {
                return Value.Number(-1);
            }

            var index = text.IndexOf(search, StringComparison.Ordinal);
            return Value.Number(index < 0 ? -1 : RuneCount(text[..index]));
        });
        Add(all, "indexof_n", 2, (_, a) =>
        {
            var text = ArgString("indexof_n", a[0]);
            var search = ArgString("indexof_n", a[1]);
            var found = new List<Value>();
            var runes = 0;
            for (var i = 0; i < text.Length; i++)
            {
                if (char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]))
                {
                    continue;
                }

                if (string.CompareOrdinal(text, i, search, 0, search.Length) == 0 && i + search.Length <= text.Length)
                {
                    found.Add(Value.Number(runes));
                }

                runes++;
            }

            return Value.Array(found);
        });
        Add(all, "lower", 1, (_, a) => Str(Lower(ArgString("lower", a[0]))));
        Add(all, "upper", 1, (_, a) => Str(ArgString("upper", a[0]).ToUpperInvariant()));
        Add(all, "replace", 3, (_, a) => Str(GoReplace(ArgString("replace", a[0]), ArgString("replace", a[1]), ArgString("replace", a[2]))));
        Add(all, "split", 2, (_, a) => StringArray(GoSplit(ArgString("split", a[0]), ArgString("split", a[1]))));
        Add(all, "sprintf", 2, (_, a) => Str(GoFormat.Sprintf(ArgString("sprintf", a[0]), ArgArray("sprintf", a[1]).Items)));
        Add(all, "substring", 3, (_, a) =>
        {
            var text = ArgString("substring", a[0]);
            var start = ArgInteger("substring", a[1], 2);
            var length = ArgInteger("substring", a[2], 3);
            if (start.Sign < 0)
            {
                throw Error("substring", "negative offset");
            }

            var runes = Runes(text);
            if (start >= runes.Length)
            {
                return Str(string.Empty);
            }

            var from = (int)start;
            var to = length.Sign < 0 || from + length > runes.Length ? runes.Length : from + (int)length;
            return Str(string.Concat(runes.AsSpan(from, to - from)));
        });
        Add(all, "trim", 2, (_, a) => Str(ArgString("trim", a[0]).Trim(Cutset(ArgString("trim", a[1])))));
        Add(all, "trim_left", 2, (_, a) => Str(ArgString("trim_left", a[0]).TrimStart(Cutset(ArgString("trim_left", a[1])))));
        Add(all, "trim_right", 2, (_, a) => Str(ArgString("trim_right", a[0]).TrimEnd(Cutset(ArgString("trim_right", a[1])))));
        Add(all, "trim_prefix", 2, (_, a) =>
        {
            var text = ArgString("trim_prefix", a[0]);
            var prefix = ArgString("trim_prefix", a[1]);
            return Str(text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text);
        });
        Add(all, "trim_suffix", 2, (_, a) =>
        {
            var text = ArgString("trim_suffix", a[0]);
            var suffix = ArgString("trim_suffix", a[1]);
            return Str(text.EndsWith(suffix, StringComparison.Ordinal) ? text[..^suffix.Length] : text);
        });
        Add(all, "trim_space", 1, (_, a) => Str(ArgString("trim_space", a[0]).Trim()));
        Add(all, "strings.replace_n", 2, (_, a) =>
        {
            var patterns = ArgObject("strings.replace_n", a[0]);
            var text = ArgString("strings.replace_n", a[1]);
            var pairs = new List<(string Old, string New)>(patterns.Count);
            foreach (var (key, value) in patterns.Members)
            {
                pairs.Add((ArgString("strings.replace_n", key), ArgString("strings.replace_n", value)));
            }

            return Str(ReplaceMany(text, pairs));
        });
        Add(all, "strings.reverse", 1, (_, a) =>
        {
            var runes = Runes(ArgString("strings.reverse", a[0]));
            Array.Reverse(runes);
            return Str(string.Concat(runes));
        });
        Add(all, "strings.any_prefix_match", 2, (_, a) => Value.Bool(AnyMatch("strings.any_prefix_match", a[0], a[1], static (s, p) => s.StartsWith(p, StringComparison.Ordinal))));
        Add(all, "strings.any_suffix_match", 2, (_, a) => Value.Bool(AnyMatch("strings.any_suffix_match", a[0], a[1], static (s, p) => s.EndsWith(p, StringComparison.Ordinal))));
        Add(all, "strings.count", 2, (_, a) =>
        {
            var text = ArgString("strings.count", a[0]);
            var search = ArgString("strings.count", a[1]);
            if (search.Length == 0)
            {
                return Value.Number(RuneCount(text) + 1);
            }

            var count = 0;
            for (var i = text.IndexOf(search, StringComparison.Ordinal); i >= 0; i = text.IndexOf(search, i + search.Length, StringComparison.Ordinal))
            {
                count++;
            }

            return Value.Number(count);
        });
    }

    private static char[] Cutset(string cutset) => cutset.ToCharArray();

    /// <summary>Lower case, with the final sigma rule (a word-final Σ becomes ς).</summary>
    private static string Lower(string text)
    {
        var lower = text.ToLowerInvariant();
        if (!text.Contains('Σ', StringComparison.Ordinal) || lower.Length != text.Length)
        {
            return lower;
        }

        var chars = lower.ToCharArray();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == 'Σ' && i > 0 && char.IsLetter(text[i - 1]) && (i + 1 == text.Length || !char.IsLetter(text[i + 1])))
            {
                chars[i] = 'ς';
            }
        }

        return new string(chars);
    }

    /// <summary>Go's <c>strings.Replace(s, old, new, -1)</c>: an empty <paramref name="old"/> inserts between runes.</summary>
    private static string GoReplace(string text, string old, string replacement)
    {
        if (old.Length > 0)
        {
            return text.Replace(old, replacement, StringComparison.Ordinal);
        }

        var output = new StringBuilder(replacement);
        foreach (var rune in text.EnumerateRunes())
        {
            output.Append(rune.ToString()).Append(replacement);
        }

        return output.ToString();
    }

    /// <summary>Go's <c>strings.Split</c>: an empty separator splits into runes.</summary>
    private static List<string> GoSplit(string text, string separator)
    {
        if (separator.Length == 0)
        {
            return [.. Runes(text)];
        }

        return [.. text.Split(separator, StringSplitOptions.None)];
    }

    /// <summary>Go's <c>strings.NewReplacer</c>: at each position the first pattern (in key order) that matches wins.</summary>
    private static string ReplaceMany(string text, List<(string Old, string New)> pairs)
    {
        var output = new StringBuilder(text.Length);
        var i = 0;
        while (i <= text.Length)
        {
            var matched = false;
            foreach (var (old, replacement) in pairs)
            {
                if (old.Length == 0 ? true : string.CompareOrdinal(text, i, old, 0, old.Length) == 0 && i + old.Length <= text.Length)
                {
                    output.Append(replacement);
                    if (old.Length > 0)
                    {
                        i += old.Length;
                        matched = true;
                        break;
                    }

                    break;
                }
            }

            if (!matched)
            {
                if (i < text.Length)
                {
                    output.Append(text[i]);
                }

                i++;
            }
        }

        return output.ToString();
    }

    private static bool AnyMatch(string name, Value search, Value bases, Func<string, string, bool> match)
    {
        foreach (var s in StringOrCollection(name, search))
        {
            foreach (var b in StringOrCollection(name, bases))
            {
                if (match(s, b))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static List<string> StringOrCollection(string name, Value value)
    {
        if (value is StringValue s)
        {
            return [s.Value];
        }

        var items = new List<string>();
        foreach (var item in value switch
        {
            ArrayValue x => (IEnumerable<Value>)x.Items,
            SetValue x => x.Items,
            _ => throw TypeError(name, "string, array or set", value),
        })
        {
            items.Add(ArgString(name, item));
        }

        return items;
    }

    internal static string FormatInvariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
