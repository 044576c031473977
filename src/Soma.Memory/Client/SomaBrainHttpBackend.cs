using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Soma.Core.Memory;
using Soma.Core.Telemetry;
using Soma.Memory.Protocol;

namespace Soma.Memory.Client;

/// <summary>
/// The SomaBrain memory protocol over HTTP, one attempt per call: no retries, no breaker (wrap it in a
/// <see cref="ResilientMemoryBackend"/> for those). Every request carries <c>Authorization: Bearer</c> (when the token
/// provider gives one), <c>X-Tenant-ID</c> (the body's tenant), a fresh <c>X-Request-ID</c> and, when an
/// <see cref="Activity"/> is current, its W3C <c>traceparent</c>.
/// </summary>
/// <remarks>
/// <para>Failures become <see cref="MemoryBackendException"/>: network errors, timeouts, cut connections, malformed
/// bodies, 5xx and 429 are transient (a 429's or 503's <c>Retry-After</c>, in seconds or as an HTTP date, becomes
/// <see cref="MemoryBackendException.RetryAfter"/>); 401, 403, 404, 422 and other 4xx are not, and their message holds
/// the service's <c>detail</c>.</para>
/// <para><b>Services without <c>POST /link</c>.</b> Some SomaBrain builds have no link endpoint and answer it with
/// FastAPI's <c>404 {"detail":"Not Found"}</c> (a 404 whose detail names the source key means the key is unknown and is
/// reported as such). The client then remembers that <c>/link</c> is missing, keeps the link pending per
/// (tenant, source key) and returns normally; the next remember of that source key (single or batch item) carries it in
/// its <c>links</c>. Pending links live in this process only, bounded to <see cref="MaxPendingSourceKeys"/> source keys
/// of at most <see cref="MaxPendingLinksPerKey"/> links each; a link that does not fit is refused with a non-transient
/// exception rather than dropped. A link whose source key is never remembered again stays pending. The endpoint is
/// tried again every <see cref="LinkRecheckInterval"/>, in case the service was upgraded.</para>
/// </remarks>
public sealed class SomaBrainHttpBackend : IMemoryBackend, IDisposable
{
    /// <summary>How many source keys may have links pending at once.</summary>
    public const int MaxPendingSourceKeys = 10_000;

    /// <summary>How many links may wait for one source key.</summary>
    public const int MaxPendingLinksPerKey = 64;

    /// <summary>How long a missing <c>/link</c> is believed missing before it is tried again.</summary>
    public static readonly TimeSpan LinkRecheckInterval = TimeSpan.FromMinutes(5);

    private const int MaxDetailLength = 500;
    private readonly HttpClient _http;
    private readonly bool _ownsClient;
    private readonly Func<CancellationToken, ValueTask<string?>> _token;
    private readonly TimeProvider _time;
    private readonly PendingLinks _pending = new(MaxPendingSourceKeys, MaxPendingLinksPerKey);
    private long _linkMissingSince = -1;

    /// <summary>Creates the backend over <paramref name="httpClient"/>, which the caller keeps owning.</summary>
    /// <param name="httpClient">A client whose <see cref="HttpClient.BaseAddress"/> is the memory service's root.</param>
    /// <param name="bearerToken">Gives the bearer token for each request (null or empty: no Authorization header).</param>
    /// <param name="timeProvider">Time, for <c>Retry-After</c> dates and the link recheck; the system's by default.</param>
    public SomaBrainHttpBackend(HttpClient httpClient, Func<CancellationToken, ValueTask<string?>>? bearerToken = null, TimeProvider? timeProvider = null)
        : this(httpClient, bearerToken, timeProvider, ownsClient: false)
    {
    }

    private SomaBrainHttpBackend(HttpClient httpClient, Func<CancellationToken, ValueTask<string?>>? bearerToken, TimeProvider? timeProvider, bool ownsClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress (the memory service's root URL).", nameof(httpClient));
        }

        _http = httpClient;
        _ownsClient = ownsClient;
        _token = bearerToken ?? (static _ => ValueTask.FromResult<string?>(null));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>False while the service is believed to have no <c>POST /link</c> (links then travel inline).</summary>
    public bool LinkEndpointAvailable => Interlocked.Read(ref _linkMissingSince) < 0;

    /// <summary>Links waiting for the next remember of their source key.</summary>
    public int PendingLinkCount => _pending.Count;

    /// <summary>
    /// Creates a backend that owns a pooled <see cref="SocketsHttpHandler"/> client for <paramref name="options"/>'s
    /// <see cref="MemoryClientOptions.BaseUrl"/>, sending <paramref name="credentials"/>' token as the bearer token, or
    /// <see cref="MemoryClientOptions.ApiKey"/> without them.
    /// </summary>
    public static SomaBrainHttpBackend Create(MemoryClientOptions options, TimeProvider? timeProvider = null, IMemoryClientCredentials? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BaseUrl is null)
        {
            throw new ArgumentException($"{MemoryClientOptions.SectionName}:BaseUrl is required for the memory client.", nameof(options));
        }

        var client = new HttpClient(CreateHandler(), disposeHandler: true)
        {
            BaseAddress = options.BaseUrl,
            // A backstop only: the resilient pipeline and the health monitor bound each attempt themselves.
            Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds) + TimeSpan.FromSeconds(1),
        };
        var key = options.ApiKey;
        return new SomaBrainHttpBackend(client, credentials is null ? _ => ValueTask.FromResult(key) : credentials.GetTokenAsync, timeProvider, ownsClient: true);
    }

    /// <summary>
    /// The handler the client is meant to run on: pooled connections recycled every two minutes (DNS changes are
    /// seen), and no automatic trace header, since the backend writes <c>traceparent</c> itself.
    /// </summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ActivityHeadersPropagator = null,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
    };

    /// <inheritdoc />
    public async Task<RememberResponse> RememberAsync(RememberRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pending = _pending.Take(request.Tenant, request.Key);
        var sent = pending is null ? request : request with { Links = PendingLinks.Merge(request.Links, pending) };
        try
        {
            using var content = Json(sent, MemoryJson.Default.RememberRequest);
            using var response = await SendAsync("remember", HttpMethod.Post, "memory/remember", request.Tenant, content, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync("remember", response, cancellationToken).ConfigureAwait(false);
            return await ReadAsync("remember", response, MemoryJson.Default.RememberResponse, cancellationToken).ConfigureAwait(false);
        }
        catch when (pending is not null)
        {
            _pending.Restore(request.Tenant, request.Key, pending);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<RememberBatchResponse> RememberBatchAsync(RememberBatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<(string Key, List<MemoryLink> Links)>? taken = null;
        var items = request.Items;
        if (_pending.Count > 0)
        {
            var rewritten = new List<RememberItem>(request.Items.Count);
            foreach (var item in request.Items)
            {
                if (_pending.Take(request.Tenant, item.Key) is { } links)
                {
                    (taken ??= []).Add((item.Key, links));
                    rewritten.Add(item with { Links = PendingLinks.Merge(item.Links, links) });
                }
                else
                {
                    rewritten.Add(item);
                }
            }

            items = rewritten;
        }

        try
        {
            using var content = Json(taken is null ? request : request with { Items = items }, MemoryJson.Default.RememberBatchRequest);
            using var response = await SendAsync("remember_batch", HttpMethod.Post, "memory/remember/batch", request.Tenant, content, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync("remember_batch", response, cancellationToken).ConfigureAwait(false);
            return await ReadAsync("remember_batch", response, MemoryJson.Default.RememberBatchResponse, cancellationToken).ConfigureAwait(false);
        }
        catch when (taken is not null)
        {
            foreach (var (key, links) in taken)
            {
                _pending.Restore(request.Tenant, key, links);
            }

            throw;
        }
    }

    /// <inheritdoc />
    public async Task<RecallResponse> RecallAsync(RecallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = Json(request, MemoryJson.Default.RecallRequest);
        using var response = await SendAsync("recall", HttpMethod.Post, "memory/recall", request.Tenant, content, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync("recall", response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync("recall", response, MemoryJson.Default.RecallResponse, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>When the service has no <c>/link</c>, the link is kept and sent with the next remember of
    /// <see cref="LinkRequest.FromKey"/> (see the class remarks); this method then returns normally.</remarks>
    public async Task LinkAsync(string tenant, LinkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(request);
        var missingSince = Interlocked.Read(ref _linkMissingSince);
        if (missingSince >= 0 && _time.GetElapsedTime(missingSince) < LinkRecheckInterval)
        {
            KeepPending(tenant, request);
            return;
        }

        using var content = Json(request, MemoryJson.Default.LinkRequest);
        using var response = await SendAsync("link", HttpMethod.Post, "link", tenant, content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            var detail = await ReadDetailAsync(response, cancellationToken).ConfigureAwait(false);
            if (string.Equals(detail, "Not Found", StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Exchange(ref _linkMissingSince, _time.GetTimestamp());
                KeepPending(tenant, request);
                return;
            }

            throw Refusal("link", response, detail);
        }

        Interlocked.Exchange(ref _linkMissingSince, -1);
        await EnsureSuccessAsync("link", response, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<MemoryHealthResponse> HealthAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync("health", HttpMethod.Get, "health", tenant: null, content: null, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync("health", response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync("health", response, MemoryJson.Default.MemoryHealthResponse, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the HTTP client when this backend created it (<see cref="Create"/>).</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    private void KeepPending(string tenant, LinkRequest request)
    {
        if (!_pending.TryAdd(tenant, request.FromKey, new MemoryLink(request.Type, request.ToKey, request.Weight)))
        {
            throw new MemoryBackendException(
                $"The memory service has no /link and too many links are already waiting to travel inline; the link {request.FromKey} -> {request.ToKey} was not kept.",
                transient: false);
        }
    }

    private static ByteArrayContent Json<T>(T body, JsonTypeInfo<T> typeInfo)
    {
        // Buffered, so the request has a Content-Length (some servers refuse chunked bodies).
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, typeInfo));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<HttpResponseMessage> SendAsync(
        string operation, HttpMethod method, string path, string? tenant, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        var token = await _token(cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (tenant is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Tenant-ID", tenant);
        }

        // A client span per call: the traceparent sent is this span's, and the request id sent is on it, so the memory
        // service's logs and spans find the turn's trace and the trace finds the service's request.
        using var activity = SomaActivitySources.Memory.StartActivity($"memory {operation}", ActivityKind.Client);
        var requestId = Guid.CreateVersion7().ToString("N");
        request.Headers.TryAddWithoutValidation("X-Request-ID", requestId);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("http.request.method", method.Method);
            activity.SetTag("url.path", path);
            activity.SetTag("server.address", _http.BaseAddress?.Host);
            activity.SetTag("soma.memory.operation", operation);
            activity.SetTag("soma.request_id", requestId);
        }

        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } traceparent })
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
            if (Activity.Current.TraceStateString is { Length: > 0 } state)
            {
                request.Headers.TryAddWithoutValidation("tracestate", state);
            }
        }

        try
        {
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("http.response.status_code", (int)response.StatusCode);
            if (!response.IsSuccessStatusCode)
            {
                activity?.SetStatus(ActivityStatusCode.Error);
            }

            return response;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            throw new MemoryBackendException($"Memory {operation}: the service did not answer in time.", transient: true, innerException: ex);
        }
        catch (HttpRequestException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "unreachable");
            throw new MemoryBackendException($"Memory {operation}: the service could not be reached or cut the connection ({Describe(ex)}).", transient: true, innerException: ex);
        }
        catch (IOException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the connection was cut.", transient: true, innerException: ex);
        }
    }

    private async Task EnsureSuccessAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = await ReadDetailAsync(response, cancellationToken).ConfigureAwait(false);
        throw Refusal(operation, response, detail);
    }

    private MemoryBackendException Refusal(string operation, HttpResponseMessage response, string? detail)
    {
        var status = (int)response.StatusCode;
        var transient = status is 408 or 429 or >= 500;
        var message = $"Memory {operation}: HTTP {status.ToString(CultureInfo.InvariantCulture)}"
            + (string.IsNullOrEmpty(detail) ? "." : $": {detail}");
        return new MemoryBackendException(message, transient, status) { RetryAfter = transient ? RetryAfter(response) : null };
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        if (header.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    // The protocol's error body is {"detail": "…"}; FastAPI's validation errors put a list there instead.
    private static async Task<string?> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var detail))
            {
                return Truncate(detail.ValueKind == JsonValueKind.String ? detail.GetString() ?? "" : detail.GetRawText());
            }
        }
        catch (JsonException)
        {
            // Not the protocol's error body; the raw text still says something.
        }

        return Truncate(text);
    }

    private static async Task<T> ReadAsync<T>(string operation, HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken).ConfigureAwait(false)
                ?? throw new MemoryBackendException($"Memory {operation}: the service answered with an empty body.", transient: true, (int)response.StatusCode);
        }
        catch (JsonException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the service answered with malformed JSON.", transient: true, (int)response.StatusCode, ex);
        }
        catch (NotSupportedException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the service answered with an unexpected content type.", transient: true, (int)response.StatusCode, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the connection was cut while reading the answer.", transient: true, (int)response.StatusCode, ex);
        }
        catch (IOException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the connection was cut while reading the answer.", transient: true, (int)response.StatusCode, ex);
        }
    }

    private static string Truncate(string text) => text.Length <= MaxDetailLength ? text : text[..MaxDetailLength] + "…";

    private static string Describe(HttpRequestException ex) =>
        ex.HttpRequestError == HttpRequestError.Unknown ? ex.Message : ex.HttpRequestError.ToString();
}
