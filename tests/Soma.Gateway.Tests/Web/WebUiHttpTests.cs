using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Soma.Gateway.Web;

namespace Soma.Gateway.Tests.Web;

public sealed partial class WebUiHttpTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task The_page_is_served_at_the_root_without_a_token_with_the_security_headers()
    {
        using var client = Server.Anonymous();
        var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(Csp, Single(response, "Content-Security-Policy"));
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Single(response, "Referrer-Policy"));
        Assert.True(response.Headers.CacheControl?.NoCache, "the page is revalidated on every load");
        Assert.NotNull(response.Headers.ETag);
        Assert.False(response.Headers.ETag!.IsWeak);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"/app.js\"></script>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/app.js", "text/javascript")]
    [InlineData("/markdown.js", "text/javascript")]
    [InlineData("/sse.js", "text/javascript")]
    [InlineData("/dom.js", "text/javascript")]
    [InlineData("/memory.js", "text/javascript")]
    [InlineData("/policy.js", "text/javascript")]
    [InlineData("/tools.js", "text/javascript")]
    [InlineData("/runs.js", "text/javascript")]
    [InlineData("/state.js", "text/javascript")]
    [InlineData("/api.js", "text/javascript")]
    [InlineData("/auth.js", "text/javascript")]
    [InlineData("/fragment.js", "text/javascript")]
    [InlineData("/sessions.js", "text/javascript")]
    [InlineData("/composer.js", "text/javascript")]
    [InlineData("/stream.js", "text/javascript")]
    [InlineData("/messages.js", "text/javascript")]
    [InlineData("/banners.js", "text/javascript")]
    [InlineData("/panels.js", "text/javascript")]
    [InlineData("/shortcuts.js", "text/javascript")]
    [InlineData("/app.css", "text/css")]
    public async Task Each_asset_has_its_content_type_and_the_same_headers(string path, string mediaType)
    {
        using var client = Server.Anonymous();
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(Csp, Single(response, "Content-Security-Policy"));
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_matching_ETag_answers_304_and_a_stale_one_gets_the_file()
    {
        using var client = Server.Anonymous();
        var first = await client.GetAsync("/app.js");
        var etag = first.Headers.ETag!;

        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/app.js");
        revalidate.Headers.IfNoneMatch.Add(etag);
        var notModified = await client.SendAsync(revalidate);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, notModified.Headers.ETag);

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/app.js");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"stale\""));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(stale)).StatusCode);
    }

    [Fact]
    public async Task Gzip_is_sent_when_accepted_and_decodes_to_the_same_bytes()
    {
        using var client = Server.Anonymous();
        var plain = await client.GetByteArrayAsync("/app.js");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/app.js");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        var response = await client.SendAsync(request);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        await using var gzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var decoded = new MemoryStream();
        await gzip.CopyToAsync(decoded);
        Assert.Equal(plain, decoded.ToArray());
    }

    [Fact]
    public async Task HEAD_answers_the_headers_without_a_body()
    {
        using var client = Server.Anonymous();
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Csp, Single(response, "Content-Security-Policy"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_API_still_needs_a_token_and_unknown_files_are_not_served()
    {
        using var client = Server.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/sessions")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/secret.txt")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/wwwroot/app.js")).StatusCode);
    }

    [Fact]
    public void The_files_hold_no_inline_code_and_never_hand_text_to_an_HTML_parser()
    {
        var html = Text("/");
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(StyleOrHandlerAttribute(), html);
        foreach (var (path, asset) in WebUiEndpoints.All.Where(a => a.Key.EndsWith(".js", StringComparison.Ordinal)))
        {
            var script = Encoding.UTF8.GetString(asset.Content.Span);
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "DOMParser", "createContextualFragment" })
            {
                Assert.False(script.Contains(sink, StringComparison.Ordinal), $"{path} uses {sink}");
            }

            Assert.False(ConsoleCall().IsMatch(script), $"{path} writes to the console (tokens must never reach it)");
            Assert.DoesNotContain("localStorage", script, StringComparison.Ordinal);
            Assert.DoesNotContain("document.cookie", script, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_UI_files_are_not_in_the_API_description()
    {
        // They are anonymous by design; SurfaceTests checks that every documented endpoint needs a token.
        using var client = Server.For(ServerFixture.NewTenant());
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/sessions", paths);
        Assert.All(WebUiEndpoints.All.Keys, path => Assert.DoesNotContain(path, paths));
        Assert.All(WebUiEndpoints.All.Values, asset => Assert.Matches("^\"[0-9a-f]{32}\"$", asset.ETag));
    }

    private static string Text(string path) => Encoding.UTF8.GetString(WebUiEndpoints.All[path].Content.Span);

    private static string Single(HttpResponseMessage response, string header) =>
        Assert.Single(response.Headers.TryGetValues(header, out var values) ? values : []);

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"\s(style|on[a-z]+)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StyleOrHandlerAttribute();

    [GeneratedRegex(@"\bconsole\.(log|info|debug|warn|error|trace|dir)\b")]
    private static partial Regex ConsoleCall();
}
