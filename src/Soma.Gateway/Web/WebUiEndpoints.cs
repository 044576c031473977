using System.Collections.Frozen;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Soma.Gateway.Web;

/// <summary>
/// The browser UI: a few static files embedded in this assembly, served anonymously at <c>/</c> (the page itself
/// holds no data; every API call it makes carries the user's bearer token). Each file is revalidated on every load
/// (<c>no-cache</c> plus an ETag), so an upgraded server never leaves a browser on a stale script.
/// </summary>
internal static class WebUiEndpoints
{
    /// <summary>The policy of every UI response: only this origin's scripts, styles and connections, and no inline code.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

    private const string ResourcePrefix = "wwwroot/";
    private const string IndexFile = "index.html";

    private static readonly Lazy<FrozenDictionary<string, WebAsset>> Assets = new(Load);

    /// <summary>The UI's files by URL path.</summary>
    internal static FrozenDictionary<string, WebAsset> All => Assets.Value;

    public static void Map(IEndpointRouteBuilder routes)
    {
        foreach (var asset in All.Values)
        {
            routes.MapMethods(asset.Path, [HttpMethods.Get, HttpMethods.Head], context => ServeAsync(context, asset))
                .AllowAnonymous()
                .ExcludeFromDescription();
        }
    }

    private static Task ServeAsync(HttpContext context, WebAsset asset)
    {
        var request = context.Request;
        var response = context.Response;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.Vary = HeaderNames.AcceptEncoding;

        var gzip = asset.Gzip is not null && AcceptsGzip(request);
        var etag = gzip ? asset.GzipETag : asset.ETag;
        headers.ETag = etag;
        if (Matches(request.Headers.IfNoneMatch, asset))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        var body = gzip ? asset.Gzip!.Value : asset.Content;
        if (gzip)
        {
            headers.ContentEncoding = "gzip";
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    // If-None-Match uses the weak comparison (RFC 9110 13.1.2): either representation's tag means the browser has this content.
    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, WebAsset asset)
    {
        foreach (var value in ifNoneMatch)
        {
            foreach (var part in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tag = part.StartsWith("W/", StringComparison.Ordinal) ? part[2..] : part;
                if (tag == "*" || tag == asset.ETag || tag == asset.GzipETag)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
        {
            foreach (var part in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
            {
                if (StringWithQualityHeaderValue.TryParse(part, out var coding) &&
                    coding.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && coding.Quality is not 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static FrozenDictionary<string, WebAsset> Load()
    {
        var assembly = typeof(WebUiEndpoints).Assembly;
        var assets = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var file = name[ResourcePrefix.Length..];
            var path = file == IndexFile ? "/" : "/" + file;
            assets[path] = new WebAsset(path, ContentTypeOf(file), content, Compress(content), "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 16)) + "\"");
        }

        if (!assets.ContainsKey("/"))
        {
            throw new InvalidOperationException($"The web UI's {IndexFile} is not embedded in {assembly.GetName().Name}.");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[]? Compress(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.Length < content.Length ? output.ToArray() : null;
    }

    private static string ContentTypeOf(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".json" => "application/json; charset=utf-8",
        ".txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}
