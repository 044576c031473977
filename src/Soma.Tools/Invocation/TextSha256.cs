using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Soma.Tools.Invocation;

/// <summary>
/// The SHA-256 of a text's UTF-8 bytes, in lowercase hex, as the tool events and audit details carry it. Each thread keeps
/// one <see cref="IncrementalHash"/>: a one-shot <c>SHA256.HashData</c> makes and frees an OpenSSL digest context per
/// call, which the first call after a commit's fsync paid for in cold pages (7–9 µs of a tool call's overhead).
/// </summary>
internal static class TextSha256
{
    private const int StackBytes = 512;

    [ThreadStatic]
    private static IncrementalHash? _hash;

    public static string Hex(string text)
    {
        var hash = _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = length <= StackBytes ? stackalloc byte[StackBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            hash.AppendData(buffer[..Encoding.UTF8.GetBytes(text, buffer)]);
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            hash.GetHashAndReset(digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
