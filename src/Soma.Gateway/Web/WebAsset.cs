namespace Soma.Gateway.Web;

/// <summary>One file of the web UI, loaded once from the assembly's resources.</summary>
/// <param name="Path">The URL path it is served at.</param>
/// <param name="ContentType">The <c>Content-Type</c> header value.</param>
/// <param name="Content">The file's bytes.</param>
/// <param name="Gzip">The bytes gzip-compressed, or null when compressing does not make them smaller.</param>
/// <param name="ETag">A strong entity tag derived from the content (quoted).</param>
internal sealed record WebAsset(string Path, string ContentType, ReadOnlyMemory<byte> Content, ReadOnlyMemory<byte>? Gzip, string ETag)
{
    /// <summary>The entity tag of the gzip representation: a different byte sequence needs a different strong tag.</summary>
    public string GzipETag => ETag.Insert(ETag.Length - 1, "-gz");
}
