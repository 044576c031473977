using System.Diagnostics;
using System.Net;
using Soma.Core.Memory;
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
public sealed partial class SomaBrainHttpBackend : IMemoryBackend, IDisposable
{
    /// <summary>How many source keys may have links pending at once.</summary>
    public const int MaxPendingSourceKeys = 10_000;

    /// <summary>How many links may wait for one source key.</summary>
    public const int MaxPendingLinksPerKey = 64;

    /// <summary>How long a missing <c>/link</c> is believed missing before it is tried again.</summary>
    public static readonly TimeSpan LinkRecheckInterval = TimeSpan.FromMinutes(5);

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
}
