using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;

namespace Soma.Tools.Http;

/// <summary>
/// <c>http.fetch</c>: an HTTP GET or HEAD from the server's process, under the egress grant the policy attached to its
/// decision (<see cref="EgressGrant"/>): the host must be granted, and the address actually connected (after DNS) must
/// not be private, loopback or link-local unless the grant allows private ranges. Redirects are followed by hand, each
/// hop checked again. Text bodies only (text/*, JSON, XML, JavaScript, YAML), at most
/// <see cref="HttpFetchOptions.MaxResponseBytes"/>, within <see cref="HttpFetchOptions.TimeoutSeconds"/>.
/// </summary>
public sealed class HttpFetchTool(IOptions<HttpFetchOptions> options, TimeProvider time, ILogger<HttpFetchTool> logger) : ITool
{
    /// <summary>The error code of a refused destination (no grant, host not granted, forbidden address).</summary>
    public const string EgressRefused = "tool.egress_refused";

    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"url":{"type":"string","minLength":1,"maxLength":2048,"description":"An absolute http or https URL."},"method":{"type":"string","enum":["GET","HEAD"],"description":"GET (default) or HEAD."}},"required":["url"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => "http.fetch";

    /// <inheritdoc />
    public string Description => "Fetches a URL (GET or HEAD) and returns the status, the content type and the text of the body. Only hosts the policy grants are reachable.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public string Risk => "medium";

    /// <inheritdoc />
    public async ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var text = ToolSchemas.RequiredText(arguments, "url", 2048, out var error);
        var methodText = ToolSchemas.OptionalString(arguments, "method", out var methodError) ?? "GET";
        if ((error ?? methodError) is { } invalid)
        {
            return invalid;
        }

        if (methodText is not ("GET" or "HEAD"))
        {
            return ToolResult.Failed("tool.invalid_arguments", "Argument 'method' must be GET or HEAD.");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return ToolResult.Failed("tool.invalid_arguments", "Argument 'url' must be an absolute http or https URL.");
        }

        if (url.UserInfo.Length > 0)
        {
            return ToolResult.Failed("tool.invalid_arguments", "Argument 'url' must not carry credentials (user:password@).");
        }

        var method = methodText == "HEAD" ? HttpMethod.Head : HttpMethod.Get;
        var grant = EgressGrant.From(context.Obligations);
        var settings = options.Value;
        var report = new StringBuilder();
        var connected = new List<string>();

        // One handler per call: its connect step carries this call's grant, and no connection opened under another
        // tenant's grant is ever reused.
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.All,
            MaxResponseHeadersLength = 64,
            ConnectCallback = (connection, token) => ConnectAsync(connection, grant.AllowPrivate, connected, token),
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(settings.TimeoutSeconds), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);

        for (var redirects = 0; ; redirects++)
        {
            if (Refuse(url, grant) is { } refusal)
            {
                return Refused(report, method, url, refusal, context);
            }

            if (logger.IsEnabled(LogLevel.Information))
            {
                var destination = Destination(url);
                HttpLog.Request(logger, method.Method, destination, context.TenantId, context.SessionId);
            }
            HttpResponseMessage response;
            try
            {
                using var request = new HttpRequestMessage(method, url);
                request.Headers.UserAgent.Add(new ProductInfoHeaderValue("SomaAgent-http.fetch", "1"));
                request.Headers.Accept.ParseAdd("text/*, application/json, application/xml;q=0.9, */*;q=0.1");
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (FindRefusal(ex) is { } refused)
            {
                return Refused(report, method, url, refused.Message, context);
            }
            catch (HttpRequestException ex)
            {
                report.Append(method.Method).Append(' ').Append(url).Append(" → failed: ").Append(ex.HttpRequestError);
                return ToolResult.Failed("http.failed", report.ToString());
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                report.Append(method.Method).Append(' ').Append(url).Append($" → no response within {settings.TimeoutSeconds} s");
                return ToolResult.Failed("http.timeout", report.ToString());
            }

            using (response)
            {
                report.Append(method.Method).Append(' ').Append(url).Append(" → ").Append((int)response.StatusCode).Append(' ').Append(response.ReasonPhrase);
                if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
                {
                    var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                    report.Append(", redirect to ").Append(next).Append('\n');
                    if (redirects >= settings.MaxRedirects)
                    {
                        report.Append($"Stopped: more than {settings.MaxRedirects} redirects.");
                        return ToolResult.Failed("http.too_many_redirects", report.ToString());
                    }

                    if (next.Scheme is not ("http" or "https") || next.UserInfo.Length > 0)
                    {
                        return Refused(report, method, next, "a redirect may only go to an http or https URL without credentials", context);
                    }

                    url = next;
                    continue;
                }

                report.Append('\n');
                if (connected.Count > 0)
                {
                    report.Append("connected to ").Append(connected[^1]).Append('\n');
                }

                return await ReadBodyAsync(response, method, report, settings, timeout, linked.Token).ConfigureAwait(false);
            }
        }
    }

    private static async Task<ToolResult> ReadBodyAsync(HttpResponseMessage response, HttpMethod method, StringBuilder report, HttpFetchOptions settings, CancellationTokenSource timeout, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        report.Append("content-type: ").Append(response.Content.Headers.ContentType?.ToString() ?? "(none)");
        if (response.Content.Headers.ContentLength is { } length)
        {
            report.Append("; content-length: ").Append(length);
        }

        report.Append('\n');
        if (method == HttpMethod.Head)
        {
            return new ToolResult(report.ToString().TrimEnd());
        }

        if (mediaType is not null && !IsText(mediaType))
        {
            report.Append($"The body was not read: http.fetch returns text only (text/*, JSON, XML, JavaScript, YAML), not {mediaType}.");
            return ToolResult.Failed("http.content_type_refused", report.ToString());
        }

        var cap = settings.MaxResponseBytes;
        var buffer = new byte[cap + 1];
        var read = 0;
        var cut = false;
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (read < buffer.Length)
                {
                    var n = await body.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            cut = true;
        }
        catch (HttpRequestException ex)
        {
            // The peer cut the body: what came is kept and marked.
            report.Append("The body was cut by the peer (").Append(ex.HttpRequestError).Append(").\n");
            cut = true;
        }
        catch (IOException)
        {
            report.Append("The body was cut by the peer.\n");
            cut = true;
        }

        var truncated = read > cap || cut;
        var count = Math.Min(read, cap);
        if (Array.IndexOf(buffer, (byte)0, 0, count) >= 0)
        {
            report.Append($"The body was not returned: it is binary ({count} bytes read).");
            return ToolResult.Failed("http.content_type_refused", report.ToString());
        }

        if (read > cap)
        {
            report.Append($"[truncated: the first {cap} bytes of the body]\n");
        }

        if (cut && timeout.IsCancellationRequested)
        {
            report.Append($"[truncated: the body did not finish within {settings.TimeoutSeconds} s; {count} bytes came]\n");
        }

        report.Append('\n').Append(Decode(response.Content.Headers.ContentType?.CharSet, buffer, count));
        return new ToolResult(report.ToString()) { Truncated = truncated };
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext connection, bool allowPrivate, List<string> connected, CancellationToken cancellationToken)
    {
        var endpoint = connection.DnsEndPoint;
        var socket = await EgressConnector.ConnectAsync(endpoint.Host, endpoint.Port, allowPrivate, cancellationToken).ConfigureAwait(false);
        lock (connected)
        {
            connected.Add(socket.RemoteEndPoint!.ToString()!);
        }

        return new NetworkStream(socket, ownsSocket: true);
    }

    private static string? Refuse(Uri url, EgressGrant grant) =>
        grant.Hosts.Count == 0
            ? "no egress is granted for this tool (roles.yaml: tools: http.fetch: egress: hosts)"
            : grant.Allows(url)
                ? null
                : $"{url.IdnHost}:{url.Port} is not among the granted hosts ({string.Join(", ", grant.Hosts.Select(h => h.Text))})";

    private ToolResult Refused(StringBuilder report, HttpMethod method, Uri url, string reason, ToolContext context)
    {
        HttpLog.Refused(logger, method.Method, Destination(url), context.TenantId, context.SessionId, reason);
        report.Append("Refused: ").Append(method.Method).Append(' ').Append(url).Append(" — ").Append(reason).Append('.');
        return ToolResult.Failed(EgressRefused, report.ToString());
    }

    private static EgressRefusedException? FindRefusal(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is EgressRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    // Logged without the query: it may carry a key.
    private static string Destination(Uri url) => $"{url.Scheme}://{url.Authority}{url.AbsolutePath}";

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool IsText(string mediaType) =>
        mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
        || mediaType.ToLowerInvariant() is "application/json" or "application/xml" or "application/javascript" or "application/ecmascript"
            or "application/x-ndjson" or "application/yaml" or "application/x-yaml" or "application/toml";

    private static string Decode(string? charset, byte[] buffer, int count)
    {
        var encoding = Encoding.UTF8;
        if (!string.IsNullOrWhiteSpace(charset))
        {
            try
            {
                encoding = Encoding.GetEncoding(charset.Trim('"'));
            }
            catch (ArgumentException)
            {
                // An unknown charset is read as UTF-8: the text may show replacement characters, never an error.
            }
        }

        return encoding.GetString(buffer, 0, count);
    }
}
