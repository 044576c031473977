using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Soma.Core.Memory;
using Soma.Core.Telemetry;

namespace Soma.Memory.Client;

// Transport: the HTTP client, one request per call with its headers and client span, and what a status or a failed
// send means (transient or not, Retry-After).
public sealed partial class SomaBrainHttpBackend
{
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

    private static string Describe(HttpRequestException ex) =>
        ex.HttpRequestError == HttpRequestError.Unknown ? ex.Message : ex.HttpRequestError.ToString();
}
