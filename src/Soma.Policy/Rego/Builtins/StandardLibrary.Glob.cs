using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private const int GlobCacheLimit = 1024;
    private static readonly ConcurrentDictionary<string, Regex> GlobCache = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Regex> GlobCacheNoDelimiters = new(StringComparer.Ordinal);

    private static void AddGlob(List<Builtin> all)
    {
        Add(all, "glob.match", 3, (_, a) =>
        {
            var pattern = ArgString("glob.match", a[0]);
            if (a[1] is NullValue && a[2] is StringValue subject)
            {
                // The common case (no delimiters): keyed by the pattern alone, no key or list to build per call.
                if (!GlobCacheNoDelimiters.TryGetValue(pattern, out var compiled))
                {
                    compiled = new Regex(GlobToRegex(pattern, []), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
                    if (GlobCacheNoDelimiters.Count >= GlobCacheLimit)
                    {
                        GlobCacheNoDelimiters.Clear();
                    }

                    GlobCacheNoDelimiters[pattern] = compiled;
                }

                return Value.Bool(compiled.IsMatch(subject.Value));
            }

            var delimiters = new List<string>();
            switch (a[1])
            {
                case NullValue:
                    break;
                case ArrayValue array:
                    foreach (var item in array.Items)
                    {
                        delimiters.Add(ArgString("glob.match", item));
                    }

                    if (delimiters.Count == 0)
                    {
                        delimiters.Add(".");
                    }

                    break;
                default:
                    throw TypeError("glob.match", "array or null", a[1]);
            }

            var text = ArgString("glob.match", a[2]);
            var key = pattern + "\0" + string.Join('\0', delimiters);
            if (!GlobCache.TryGetValue(key, out var regex))
            {
                regex = new Regex(GlobToRegex(pattern, delimiters), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
                if (GlobCache.Count >= GlobCacheLimit)
                {
                    GlobCache.Clear();
                }

                GlobCache[key] = regex;
            }

            return Value.Bool(regex.IsMatch(text));
        });
        Add(all, "glob.quote_meta", 1, (_, a) =>
        {
            var text = ArgString("glob.quote_meta", a[0]);
            var output = new StringBuilder(text.Length + 4);
            foreach (var c in text)
            {
                if (c is '*' or '?' or '\\' or '[' or ']' or '{' or '}')
                {
                    output.Append('\\');
                }

                output.Append(c);
            }

            return Str(output.ToString());
        });
    }

    /// <summary>A glob as a .NET regex: <c>*</c> stops at delimiters, <c>**</c> does not, <c>?</c> is one
    /// non-delimiter, <c>[…]</c>/<c>[!…]</c> classes, <c>{a,b}</c> alternatives, <c>\</c> escapes.</summary>
    private static string GlobToRegex(string pattern, List<string> delimiters)
    {
        var separators = new StringBuilder();
        foreach (var d in delimiters)
        {
            foreach (var c in d)
            {
                separators.Append(Regex.Escape(c.ToString()).Replace("]", "\\]", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal));
            }
        }

        var notSeparator = separators.Length == 0 ? "." : "[^" + separators + "]";
        var output = new StringBuilder("\\A");
        var depth = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\' when i + 1 < pattern.Length:
                    output.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '*':
                    if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        output.Append(".*");
                        while (i + 1 < pattern.Length && pattern[i + 1] == '*')
                        {
                            i++;
                        }
                    }
                    else
                    {
                        output.Append(notSeparator).Append('*');
                    }

                    break;
                case '?':
                    output.Append(notSeparator);
                    break;
                case '[':
                    {
                        var close = pattern.IndexOf(']', i + 1);
                        if (close < 0)
                        {
                            throw Error("glob.match", $"unexpected end of input in pattern {pattern}");
                        }

                        var body = pattern[(i + 1)..close];
                        output.Append('[');
                        if (body.StartsWith('!'))
                        {
                            output.Append('^');
                            body = body[1..];
                        }

                        output.Append(body.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal).Replace("^", "\\^", StringComparison.Ordinal)).Append(']');
                        i = close;
                        break;
                    }

                case '{':
                    depth++;
                    output.Append("(?:");
                    break;
                case '}' when depth > 0:
                    depth--;
                    output.Append(')');
                    break;
                case ',' when depth > 0:
                    output.Append('|');
                    break;
                default:
                    output.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        if (depth > 0)
        {
            throw Error("glob.match", $"unexpected end of input in pattern {pattern}");
        }

        return output.Append("\\z").ToString();
    }
}
