using System.Text;

namespace Soma.Contracts.Generators;

/// <summary>
/// Turns a JSON Schema (ECMAScript, <c>u</c> flag) pattern into a .NET pattern that matches the same strings, or names
/// the construct it cannot translate exactly. Accepted: literals, the escapes of syntax characters, <c>\d</c> and
/// <c>\w</c> (ASCII in ECMAScript, Unicode in .NET: written out as ASCII classes), positive character classes, groups
/// (capturing, <c>(?:</c>, <c>(?=</c>, <c>(?!</c>), alternation, quantifiers, <c>^</c> and <c>$</c>. The one rewrite that
/// changes meaning in .NET: <c>$</c> is <c>\z</c>, because .NET's <c>$</c> also matches before a final line feed and
/// ECMAScript's does not.
/// </summary>
internal static class PatternTranslator
{
    private const string Syntax = "^$\\.*+?()[]{}|/-";

    public static bool TryTranslate(string pattern, out string translated, out string problem)
    {
        var output = new StringBuilder(pattern.Length + 8);
        translated = "";
        problem = "";
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (char.IsSurrogate(c))
            {
                problem = "a character outside the Basic Multilingual Plane (one code point in ECMAScript, two in .NET)";
                return false;
            }

            switch (c)
            {
                case '\\':
                    if (!Escape(pattern, ref i, output, inClass: false, out problem))
                    {
                        return false;
                    }

                    continue;
                case '$':
                    output.Append("\\z");
                    break;
                case '.':
                    problem = "'.' (ECMAScript's excludes \\r, \\u2028 and \\u2029 and takes a whole code point)";
                    return false;
                case '[':
                    if (!Class(pattern, ref i, output, out problem))
                    {
                        return false;
                    }

                    continue;
                case '(':
                    if (i + 1 < pattern.Length && pattern[i + 1] == '?')
                    {
                        var kind = i + 2 < pattern.Length ? pattern[i + 2] : '\0';
                        if (kind is not (':' or '=' or '!'))
                        {
                            problem = "a group '(?" + kind + "' (only (?:, (?= and (?! are accepted)";
                            return false;
                        }

                        output.Append("(?").Append(kind);
                        i += 3;
                        continue;
                    }

                    output.Append('(');
                    break;
                case '{':
                    if (!Quantifier(pattern, ref i, output))
                    {
                        problem = "a '{' that is not a quantifier";
                        return false;
                    }

                    continue;
                case '}':
                case ']':
                    problem = "an unescaped '" + c + "'";
                    return false;
                default:
                    output.Append(c);
                    break;
            }

            i++;
        }

        translated = output.ToString();
        return true;
    }

    private static bool Escape(string pattern, ref int i, StringBuilder output, bool inClass, out string problem)
    {
        problem = "";
        if (i + 1 >= pattern.Length)
        {
            problem = "a trailing '\\'";
            return false;
        }

        var e = pattern[i + 1];
        i += 2;
        if (Syntax.IndexOf(e) >= 0)
        {
            output.Append('\\').Append(e);
            return true;
        }

        switch (e)
        {
            case 'd':
                output.Append(inClass ? "0-9" : "[0-9]");
                return true;
            case 'w':
                output.Append(inClass ? "a-zA-Z0-9_" : "[a-zA-Z0-9_]");
                return true;
            default:
                problem = "the escape '\\" + e + "'";
                return false;
        }
    }

    private static bool Class(string pattern, ref int i, StringBuilder output, out string problem)
    {
        problem = "";
        i++;
        if (i < pattern.Length && pattern[i] == '^')
        {
            problem = "a negated class '[^' (one UTF-16 unit in .NET, one code point in ECMAScript)";
            return false;
        }

        output.Append('[');
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (char.IsSurrogate(c))
            {
                problem = "a character outside the Basic Multilingual Plane in a class";
                return false;
            }

            if (c == ']')
            {
                output.Append(']');
                i++;
                return true;
            }

            if (c == '[')
            {
                // .NET reads "-[" inside a class as class subtraction.
                problem = "an unescaped '[' inside a class";
                return false;
            }

            if (c == '\\')
            {
                if (!Escape(pattern, ref i, output, inClass: true, out problem))
                {
                    return false;
                }

                continue;
            }

            output.Append(c);
            i++;
        }

        problem = "an unterminated class";
        return false;
    }

    private static bool Quantifier(string pattern, ref int i, StringBuilder output)
    {
        var end = pattern.IndexOf('}', i);
        if (end < 0)
        {
            return false;
        }

        var body = pattern.Substring(i + 1, end - i - 1);
        var parts = body.Split(',');
        if (parts.Length > 2 || parts[0].Length == 0 || !Digits(parts[0]) || (parts.Length == 2 && parts[1].Length > 0 && !Digits(parts[1])))
        {
            return false;
        }

        output.Append(pattern, i, end - i + 1);
        i = end + 1;
        return true;
    }

    private static bool Digits(string text)
    {
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}
