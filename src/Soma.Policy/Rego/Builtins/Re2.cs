using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Soma.Policy.Rego.Builtins;

/// <summary>
/// Go RE2 patterns on .NET's engine: the syntax that differs is translated (ASCII <c>\d \w \s</c>, <c>$</c> as end of
/// text, <c>(?P&lt;name&gt;…)</c>, <c>\Q…\E</c>, POSIX classes), what RE2 refuses (backreferences, lookaround) is
/// refused, and compiled patterns are cached (bounded). Named groups become numbered ones so group numbers follow
/// RE2's left-to-right order.
/// </summary>
internal sealed class Re2
{
    private const int CacheLimit = 1024;
    private static readonly ConcurrentDictionary<string, Re2> Cache = new(StringComparer.Ordinal);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private Re2(Regex regex, Dictionary<string, int> names)
    {
        Regex = regex;
        Names = names;
    }

    public Regex Regex { get; }

    public Dictionary<string, int> Names { get; }

    /// <summary>The compiled pattern, or a <see cref="RegoException"/> naming <paramref name="function"/>.</summary>
    public static Re2 Get(string function, string pattern)
    {
        if (Cache.TryGetValue(pattern, out var cached))
        {
            return cached;
        }

        var (translated, names) = Translate(pattern) ?? throw Error(function, pattern, "invalid or unsupported Perl syntax");
        Regex regex;
        try
        {
            regex = new Regex(translated, RegexOptions.CultureInvariant, Timeout);
        }
        catch (ArgumentException e)
        {
            throw Error(function, pattern, e.Message);
        }

        if (Cache.Count >= CacheLimit)
        {
            Cache.Clear();
        }

        return Cache[pattern] = new Re2(regex, names);
    }

    public static bool IsValid(string pattern)
    {
        try
        {
            Get("regex.is_valid", pattern);
            return true;
        }
        catch (RegoException)
        {
            return false;
        }
    }

    private static RegoException Error(string function, string pattern, string detail) =>
        new($"{function}: error parsing regexp: {detail}: `{pattern}`");

    /// <summary>Go's FindAll: up to <paramref name="limit"/> matches (negative: all), an empty match right after the
    /// previous match skipped.</summary>
    public List<Match> FindAll(string function, string input, int limit)
    {
        var found = new List<Match>();
        var previousEnd = -1;
        try
        {
            for (var m = Regex.Match(input); m.Success && (limit < 0 || found.Count < limit); m = m.NextMatch())
            {
                if (m.Length == 0 && m.Index == previousEnd)
                {
                    continue;
                }

                found.Add(m);
                previousEnd = m.Index + m.Length;
            }
        }
        catch (RegexMatchTimeoutException)
        {
            throw new RegoException($"{function}: the regular expression took too long");
        }

        return found;
    }

    public bool IsMatch(string function, string input)
    {
        try
        {
            return Regex.IsMatch(input);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new RegoException($"{function}: the regular expression took too long");
        }
    }

    /// <summary>Go's <c>Regexp.Expand</c> template: <c>$1</c>, <c>${1}</c>, <c>$name</c>, <c>${name}</c>, <c>$$</c>.</summary>
    public void Expand(StringBuilder output, string template, Match match)
    {
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c != '$' || i + 1 >= template.Length)
            {
                output.Append(c);
                continue;
            }

            if (template[i + 1] == '$')
            {
                output.Append('$');
                i++;
                continue;
            }

            string name;
            int end;
            if (template[i + 1] == '{')
            {
                var close = template.IndexOf('}', i + 2);
                if (close < 0)
                {
                    output.Append(c);
                    continue;
                }

                name = template[(i + 2)..close];
                end = close;
            }
            else
            {
                var j = i + 1;
                while (j < template.Length && (char.IsAsciiLetterOrDigit(template[j]) || template[j] == '_'))
                {
                    j++;
                }

                if (j == i + 1)
                {
                    output.Append(c);
                    continue;
                }

                name = template[(i + 1)..j];
                end = j - 1;
            }

            i = end;
            var number = int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
                : Names.TryGetValue(name, out var named) ? named : -1;
            if (number >= 0 && number < match.Groups.Count && match.Groups[number].Success)
            {
                output.Append(match.Groups[number].Value);
            }
        }
    }

    private static readonly Dictionary<string, string> Posix = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z",
        ["alpha"] = "A-Za-z",
        ["ascii"] = "\\x00-\\x7F",
        ["blank"] = "\\t ",
        ["cntrl"] = "\\x00-\\x1F\\x7F",
        ["digit"] = "0-9",
        ["graph"] = "!-~",
        ["lower"] = "a-z",
        ["print"] = " -~",
        ["punct"] = "!-/:-@\\[-`{-~",
        ["space"] = "\\t\\n\\v\\f\\r ",
        ["upper"] = "A-Z",
        ["word"] = "0-9A-Za-z_",
        ["xdigit"] = "0-9A-Fa-f",
    };

    private static (string Pattern, Dictionary<string, int> Names)? Translate(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 16);
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var multiline = Regex.IsMatch(pattern, @"\(\?[a-zA-Z]*m", RegexOptions.CultureInvariant);
        var inClass = false;
        var groups = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (++i >= pattern.Length)
                {
                    return null;
                }

                var e = pattern[i];
                switch (e)
                {
                    case >= '1' and <= '9':
                        return null;
                    case 'Q':
                        {
                            var close = pattern.IndexOf("\\E", i + 1, StringComparison.Ordinal);
                            var literal = close < 0 ? pattern[(i + 1)..] : pattern[(i + 1)..close];
                            foreach (var l in literal)
                            {
                                output.Append(char.IsAsciiLetterOrDigit(l) ? l.ToString() : "\\" + l);
                            }

                            i = close < 0 ? pattern.Length : close + 1;
                            continue;
                        }

                    case 'd': output.Append(inClass ? "0-9" : "[0-9]"); continue;
                    case 'D': output.Append(inClass ? "\\D" : "[^0-9]"); continue;
                    case 'w': output.Append(inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]"); continue;
                    case 'W': output.Append(inClass ? "\\W" : "[^0-9A-Za-z_]"); continue;
                    case 's': output.Append(inClass ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]"); continue;
                    case 'S': output.Append(inClass ? "\\S" : "[^\\t\\n\\f\\r ]"); continue;
                    case 'z': output.Append("\\z"); continue;
                    case 'Z': return null;
                    case 'C': output.Append("[\\s\\S]"); continue;
                    case 'p' or 'P' when i + 1 < pattern.Length && pattern[i + 1] != '{':
                        output.Append('\\').Append(e).Append('{').Append(pattern[i + 1]).Append('}');
                        i++;
                        continue;
                    case 'x' when i + 1 < pattern.Length && pattern[i + 1] == '{':
                        {
                            var close = pattern.IndexOf('}', i);
                            if (close < 0 || !int.TryParse(pattern.AsSpan(i + 2, close - i - 2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var code) || code > 0x10FFFF)
                            {
                                return null;
                            }

                            foreach (var unit in char.ConvertFromUtf32(code))
                            {
                                output.Append("\\u").Append(((int)unit).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                            }

                            i = close;
                            continue;
                        }

                    default:
                        output.Append('\\').Append(e);
                        continue;
                }
            }

            if (inClass)
            {
                if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
                {
                    var close = pattern.IndexOf(":]", i + 2, StringComparison.Ordinal);
                    if (close > 0)
                    {
                        var name = pattern[(i + 2)..close];
                        if (!name.StartsWith('^') && Posix.TryGetValue(name, out var range))
                        {
                            output.Append(range);
                            i = close + 1;
                            continue;
                        }

                        return null;
                    }
                }

                if (c == '[')
                {
                    output.Append("\\[");
                    continue;
                }

                if (c == ']')
                {
                    inClass = false;
                }

                output.Append(c);
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    output.Append('[');
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                    {
                        output.Append('^');
                        i++;
                    }

                    // A ']' first in a class is a literal in RE2.
                    if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                    {
                        output.Append("\\]");
                        i++;
                    }

                    continue;
                case '$':
                    output.Append(multiline ? "(?=\\n|\\z)" : "\\z");
                    continue;
                case '(':
                    if (i + 1 < pattern.Length && pattern[i + 1] == '?')
                    {
                        var rest = pattern.AsSpan(i + 2);
                        if (rest.StartsWith("P<") || (rest.StartsWith("<") && !rest.StartsWith("<=") && !rest.StartsWith("<!")))
                        {
                            var open = pattern.IndexOf('<', i);
                            var close = pattern.IndexOf('>', open);
                            if (close < 0)
                            {
                                return null;
                            }

                            names[pattern[(open + 1)..close]] = ++groups;
                            output.Append('(');
                            i = close;
                            continue;
                        }

                        if (rest.StartsWith("=") || rest.StartsWith("!") || rest.StartsWith("<") || rest.StartsWith(">") || rest.StartsWith("#"))
                        {
                            return null;
                        }

                        output.Append(c);
                        continue;
                    }

                    groups++;
                    output.Append(c);
                    continue;
                default:
                    output.Append(c);
                    continue;
            }
        }

        return inClass ? null : (output.ToString(), names);
    }
}
