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

    /// <summary>Every string value inside <paramref name="value"/> (recursively, property names excluded), joined with spaces.</summary>
    public static string Searchable(JsonElement value)
    {
        var builder = new StringBuilder();
        Append(builder, value);
        return builder.ToString();
    }

    /// <summary>
    /// The words of a free-text query: runs of letters and digits, everything else a separator, duplicates (ignoring
    /// case) removed, at most <see cref="MaxQueryTerms"/>. A term holds only letters and digits, so it can be quoted
    /// into any engine's full-text syntax without escaping; operators, quotes and punctuation in the query are never
    /// interpreted. An empty list means nothing can match.
    /// </summary>
    public static IReadOnlyList<string> QueryTerms(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var start = -1;
        for (var i = 0; i <= query.Length && terms.Count < MaxQueryTerms; i++)
        {
            var isWordChar = i < query.Length && char.IsLetterOrDigit(query[i]);
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                var term = query[start..Math.Min(i, start + MaxTermLength)];
                if (seen.Add(term))
                {
                    terms.Add(term);
                }

                start = -1;
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

                builder.Append(value.GetString());
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
