using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Soma.Core.Memory;

namespace Soma.Memory.Cache;

/// <summary>
/// The parts of a recall cache key. The scope (<c>{tenant}:{namespace}</c>) escapes <c>%</c> and <c>:</c> in both
/// parts, so it is injective (<c>a:b</c>+<c>c</c> and <c>a</c>+<c>b:c</c> cannot meet) and stays readable for operators
/// who scan Redis by tenant. The query hash is a SHA-256 of every parameter that changes the answer.
/// </summary>
internal static class RecallCacheKey
{
    private const string RedisPrefix = "soma:recall:";
    private const string RedisGenerationPrefix = "soma:recall:gen:";

    // Bumped when the hashed encoding or the cached value's shape changes, so old entries are never read as new ones.
    // 2: the recall mode is hashed (text and hybrid answers differ, and a named mode's answer says why each matched).
    private const byte FormatVersion = 2;

    /// <summary><c>{tenant}:{namespace}</c>, each part escaped.</summary>
    public static string Scope(string tenant, string @namespace) => string.Concat(Escape(tenant), ":", Escape(@namespace));

    /// <summary>Redis: the namespace's generation counter, <c>soma:recall:gen:{tenant}:{namespace}</c>.</summary>
    public static string RedisGeneration(string scope) => RedisGenerationPrefix + scope;

    /// <summary>Redis: one cached recall, <c>soma:recall:{tenant}:{namespace}:{generation}:{hash}</c>.</summary>
    /// <remarks>
    /// Never equal to a generation key: escaped parts hold no <c>:</c>, so an entry key has six segments and a
    /// generation key five, even for a tenant called <c>gen</c>.
    /// </remarks>
    public static string RedisEntry(string scope, long generation, string hash) =>
        $"{RedisPrefix}{scope}:{generation}:{hash}";

    /// <summary>In-process: one cached recall, <c>{tenant}:{namespace}:{generation}:{hash}</c>.</summary>
    public static string InProcessEntry(string scope, long generation, string hash) =>
        $"{scope}:{generation}:{hash}";

    /// <summary>Escapes <c>%</c> and <c>:</c> so the separator never appears inside a part.</summary>
    public static string Escape(string part) =>
        part.AsSpan().IndexOfAny('%', ':') < 0 ? part : part.Replace("%", "%25", StringComparison.Ordinal).Replace(":", "%3A", StringComparison.Ordinal);

    /// <summary>
    /// Lower-case hex SHA-256 of the query, top_k, the tags (sorted, so their order does not matter), min_score and the
    /// recall mode. Each field is length-prefixed, so no two different requests encode alike. A null tag list and an
    /// empty one hash apart, as do duplicated tags: telling them apart costs at most a miss, merging them could serve a
    /// wrong answer. For the same reason no mode hashes apart from an explicit <c>hybrid</c>: the service answers both
    /// alike except that only the second says why each result matched.
    /// </summary>
    public static string QueryHash(RecallRequest request)
    {
        var tags = request.Tags;
        string[]? sorted = null;
        var size = 1 + 4 + Encoding.UTF8.GetMaxByteCount(request.Query.Length) + 4 + 4 + 1 + 8 + 1 + 4 + Encoding.UTF8.GetMaxByteCount(request.Mode?.Length ?? 0);
        if (tags is not null)
        {
            sorted = [.. tags];
            Array.Sort(sorted, StringComparer.Ordinal);
            foreach (var tag in sorted)
            {
                size += 4 + Encoding.UTF8.GetMaxByteCount(tag.Length);
            }
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var span = buffer.AsSpan();
            var at = 0;
            span[at++] = FormatVersion;
            WriteString(span, ref at, request.Query);
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], request.TopK);
            at += 4;
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], sorted?.Length ?? -1);
            at += 4;
            foreach (var tag in sorted ?? [])
            {
                WriteString(span, ref at, tag);
            }

            span[at++] = request.MinScore is null ? (byte)0 : (byte)1;
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], BitConverter.DoubleToInt64Bits(request.MinScore ?? 0));
            at += 8;
            span[at++] = request.Mode is null ? (byte)0 : (byte)1;
            WriteString(span, ref at, request.Mode ?? "");

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(span[..at], hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void WriteString(Span<byte> span, ref int at, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, span[(at + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], written);
        at += 4 + written;
    }
}
