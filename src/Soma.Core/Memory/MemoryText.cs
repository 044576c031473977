using System.Text;
using System.Text.Json;

namespace Soma.Core.Memory;

/// <summary>
/// The text rules the memory stores share, so every engine indexes and queries the same words: the searchable text of
/// a memory, and the safe search terms of a free-text query.
/// </summary>
public static class MemoryText
{
    /// <summary>At most this many terms of a query are searched; the rest are ignored.</summary>
    public const int MaxQueryTerms = 32;

    /// <summary>A term longer than this is cut: no indexed word is that long, and it bounds the work per term.</summary>
    public const int MaxTermLength = 64;

    /// <summary>
    /// Every string value inside <paramref name="value"/> (recursively, property names excluded), joined with spaces;
    /// U+0000 becomes a space.
    /// </summary>
    public static string Searchable(JsonElement value)
    {
        var builder = new StringBuilder();
        Append(builder, value);
        return builder.ToString();
    }

    /// <summary>
    /// The words of <paramref name="text"/>: runs of letters and digits, everything else a separator, each cut to
    /// <see cref="MaxTermLength"/>. Stores that index words themselves split with this, so a query's terms and the
    /// indexed words are always cut the same way.
    /// </summary>
    public static IEnumerable<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWordChar = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                yield return text[start..Math.Min(i, start + MaxTermLength)];
                start = -1;
            }
        }
    }

    /// <summary>
    /// The terms of a free-text query: its <see cref="Words"/>, duplicates (ignoring case) removed, at most
    /// <see cref="MaxQueryTerms"/>. A term holds only letters and digits, so it can be quoted into any engine's
    /// full-text syntax without escaping; operators, quotes and punctuation in the query are never interpreted. An
    /// empty list means nothing can match.
    /// </summary>
    public static IReadOnlyList<string> QueryTerms(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in Words(query))
        {
            if (seen.Add(word))
            {
                terms.Add(word);
                if (terms.Count == MaxQueryTerms)
                {
                    break;
                }
            }
        }

        return terms;
    }

    private static void Append(StringBuilder builder, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                if (builder.Length > 0)
                {
                    builder.Append(' ');
                }

                // U+0000 separates nothing a reader would see, and PostgreSQL text cannot hold it.
                builder.Append(value.GetString()!.Replace('\0', ' '));
                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Append(builder, property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    Append(builder, item);
                }

                break;
            default:
                break;
        }
    }
}
