using System.Buffers.Binary;
using CsCheck;
using Soma.Core.Storage;

namespace Soma.Core.Tests.Storage;

public sealed class PageCursorTests
{
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly Gen<PageCursor> Cursors =
        Gen.Select(Gen.DateTimeOffset, Gen.Guid, (time, id) => new PageCursor(time, id));

    [Fact]
    public void Every_cursor_decodes_back_to_the_same_instant_and_id()
    {
        Cursors.Sample(cursor =>
        {
            var encoded = cursor.Encode();

            Assert.True(PageCursor.TryDecode(encoded, out var decoded));
            Assert.Equal(cursor.Time.UtcTicks, decoded.Time.UtcTicks);
            Assert.Equal(cursor.Id, decoded.Id);
            Assert.Equal(cursor, PageCursor.Parse(new PageRequest(Cursor: encoded)));
        }, iter: 2000, threads: 1);
    }

    [Fact]
    public void An_encoded_cursor_is_url_safe_unpadded_and_the_same_whatever_the_offset_of_its_time()
    {
        Cursors.Sample(cursor =>
        {
            var encoded = cursor.Encode();

            Assert.All(encoded, c => Assert.Contains(c, Base64UrlAlphabet));
            Assert.Equal(encoded, (cursor with { Time = cursor.Time.ToUniversalTime() }).Encode());
        }, iter: 1000, threads: 1);
    }

    [Fact]
    public void A_cursor_cut_short_or_lengthened_is_refused()
    {
        Gen.Select(Cursors, Gen.Int[1, 31], Gen.String[Base64UrlAlphabet].Where(s => s.Length > 0)).Sample((cursor, keep, extra) =>
        {
            var encoded = cursor.Encode();

            Assert.False(PageCursor.TryDecode(encoded[..keep], out _));
            Assert.False(PageCursor.TryDecode(encoded + extra, out _));
        }, iter: 1000, threads: 1);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Text_that_is_not_a_cursor_is_refused_and_parsing_it_names_the_page(string text)
    {
        Assert.False(PageCursor.TryDecode(text, out _));

        var error = Assert.Throws<ArgumentException>(() => PageCursor.Parse(new PageRequest(Cursor: text)));
        Assert.Equal("page", error.ParamName);
        Assert.StartsWith("The cursor is not one this store produced.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void A_well_formed_cursor_whose_time_is_out_of_range_is_refused(long ticks)
    {
        var bytes = new byte[24];
        BinaryPrimitives.WriteInt64BigEndian(bytes, ticks);
        var text = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.False(PageCursor.TryDecode(text, out _));
        Assert.Throws<ArgumentException>(() => PageCursor.Parse(new PageRequest(Cursor: text)));
    }

    [Fact]
    public void A_first_page_has_no_cursor_and_parses_to_none()
    {
        Assert.Null(PageCursor.Parse(new PageRequest()));
        Assert.False(PageCursor.TryDecode(null, out _));
    }
}
