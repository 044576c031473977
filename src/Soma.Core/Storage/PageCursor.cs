using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Soma.Core.Storage;

/// <summary>
/// The opaque keyset cursor every paged store query uses: the sort key (a time) and the id of the last item
/// returned, encoded as base64url. Both engines encode it the same way, so a cursor is portable between them.
/// </summary>
public readonly record struct PageCursor(DateTimeOffset Time, Guid Id)
{
    private const int EncodedBytes = 8 + 16;

    /// <summary>Encodes the cursor as a URL-safe string.</summary>
    public string Encode()
    {
        Span<byte> buffer = stackalloc byte[EncodedBytes];
        BinaryPrimitives.WriteInt64BigEndian(buffer, Time.UtcTicks);
        Id.TryWriteBytes(buffer[8..], bigEndian: true, out _);
        return Convert.ToBase64String(buffer).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Decodes a cursor produced by <see cref="Encode"/>; false for anything else.</summary>
    public static bool TryDecode([NotNullWhen(true)] string? text, out PageCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        Span<byte> buffer = stackalloc byte[48];
        if (!Convert.TryFromBase64String(base64, buffer, out var written) || written != EncodedBytes)
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(buffer);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        cursor = new PageCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(buffer.Slice(8, 16), bigEndian: true));
        return true;
    }

    /// <summary>Decodes the cursor of a page request, or throws the error a caller should turn into a 400.</summary>
    /// <exception cref="ArgumentException">The cursor was not produced by this store.</exception>
    public static PageCursor? Parse(PageRequest page)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (page.Cursor is null)
        {
            return null;
        }

        return TryDecode(page.Cursor, out var cursor)
            ? cursor
            : throw new ArgumentException("The cursor is not one this store produced.", nameof(page));
    }
}
