using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Soma.Core.Memory;

namespace Soma.Memory.Embeddings;

/// <summary>
/// An OpenAI-compatible embeddings endpoint (<c>POST {BaseUrl}/v1/embeddings</c>, <c>{"model", "input": [..]}</c> →
/// <c>{"data": [{"index", "embedding": [..]}], "model"}</c>) behind MEAI's embedding generator. A small HttpClient adapter
/// rather than Microsoft.Extensions.AI.OpenAI: the OpenAI SDK under it asks for base64 vectors by default (not every
/// compatible server speaks that), retries inside its own pipeline with its own timeouts (the embedding worker has its
/// own backoff, and a recall its own deadline), and insists on an API key that local servers do not need; here every
/// failure maps straight onto <see cref="EmbeddingException.IsTransient"/>. One attempt per call, no retries.
/// </summary>
internal sealed partial class OpenAiEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const string ProviderName = "openai";
    private const int MaxErrorExcerpt = 200;

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _model;
    private readonly string? _apiKey;
    private readonly int? _dimensions;
    private readonly TimeSpan _timeout;
    private readonly EmbeddingMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>Creates the adapter with its own pooled connections.</summary>
    /// <param name="baseUrl">The server's root; requests go to <c>{baseUrl}/v1/embeddings</c>.</param>
    /// <param name="model">The model name sent in each request.</param>
    /// <param name="apiKey">The bearer token, if any. Never logged.</param>
    /// <param name="dimensions">The vectors' expected length, when known; any other length fails the call (not transient).</param>
    /// <param name="timeout">How long one call may take, the body read included.</param>
    /// <param name="meterFactory">Where the embedding metrics go, if anywhere.</param>
    /// <param name="logger">Logs failures (status and reason, never the key).</param>
    public OpenAiEmbeddingGenerator(
        Uri baseUrl,
        string model,
        string? apiKey,
        int? dimensions,
        TimeSpan timeout,
        System.Diagnostics.Metrics.IMeterFactory? meterFactory = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var root = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _endpoint = new Uri(root, "v1/embeddings");
        _model = model;
        _apiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey;
        _dimensions = dimensions;
        _timeout = timeout;
        _metrics = new EmbeddingMetrics(meterFactory, model, ProviderName);
        _logger = logger ?? NullLogger.Instance;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = timeout })
        {
            Timeout = Timeout.InfiniteTimeSpan, // our deadline covers the body read too
            MaxResponseContentBufferSize = 64 * 1024 * 1024,
        };
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, root, model, dimensions);
    }

    /// <summary>The provider (<c>openai</c>), the endpoint's root, the model and its dimensions if known.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Transient <see cref="EmbeddingException"/>: a timeout, a refused or cut connection, 408, 429, 5xx. Not transient:
    /// another 4xx, a body that is not the protocol's JSON, a wrong number of vectors, a wrong length.
    /// </remarks>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.ToArray();
        if (texts.Length == 0)
        {
            return [];
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var vectors = await CallAsync(texts, cancellationToken).ConfigureAwait(false);
            _metrics.Embedded(texts.Length, Stopwatch.GetElapsedTime(started));
            var embeddings = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
            foreach (var vector in vectors)
            {
                embeddings.Add(new Embedding<float>(vector) { ModelId = _model });
            }

            return embeddings;
        }
        catch (EmbeddingException ex)
        {
            _metrics.Failed(ex.IsTransient);
            Log.EndpointFailed(_logger, _model, _endpoint, ex.IsTransient, ex.Message);
            throw;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<float[][]> CallAsync(string[] texts, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = Body(texts) };
        if (_apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        }

        HttpStatusCode status;
        byte[] body;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            status = response.StatusCode;
            body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failure($"did not answer within {_timeout.TotalMilliseconds} ms", transient: true);
        }
        catch (HttpRequestException ex)
        {
            throw Failure($"could not be reached or cut the connection ({ex.HttpRequestError}: {ex.Message})", transient: true, ex);
        }
        catch (IOException ex)
        {
            throw Failure($"cut the connection ({ex.Message})", transient: true, ex);
        }

        var code = (int)status;
        if (code is < 200 or > 299)
        {
            var transient = code is 408 or 429 or >= 500;
            throw Failure(string.Create(CultureInfo.InvariantCulture, $"answered {code} {status}{Excerpt(body)}"), transient);
        }

        return Parse(body, texts.Length);
    }

    private ByteArrayContent Body(string[] texts)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", _model);
            json.WriteStartArray("input");
            foreach (var text in texts)
            {
                json.WriteStringValue(text);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private float[][] Parse(byte[] body, int expected)
    {
        var vectors = new float[expected][];
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("data", out var data)
                || data.ValueKind != JsonValueKind.Array)
            {
                throw Failure("answered JSON without a \"data\" array", transient: false);
            }

            var count = data.GetArrayLength();
            if (count != expected)
            {
                throw Failure(string.Create(CultureInfo.InvariantCulture, $"answered {count} vectors for {expected} texts"), transient: false);
            }

            var position = 0;
            foreach (var item in data.EnumerateArray())
            {
                var index = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : position;
                if (index < 0 || index >= expected || vectors[index] is not null)
                {
                    throw Failure(string.Create(CultureInfo.InvariantCulture, $"answered an out-of-range or repeated index {index}"), transient: false);
                }

                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("embedding", out var embedding)
                    || embedding.ValueKind != JsonValueKind.Array)
                {
                    throw Failure(string.Create(CultureInfo.InvariantCulture, $"answered data[{position}] without an \"embedding\" array of numbers"), transient: false);
                }

                var vector = new float[embedding.GetArrayLength()];
                var k = 0;
                foreach (var number in embedding.EnumerateArray())
                {
                    vector[k++] = number.ValueKind == JsonValueKind.Number && number.TryGetSingle(out var value) && float.IsFinite(value)
                        ? value
                        : throw Failure(string.Create(CultureInfo.InvariantCulture, $"answered data[{position}].embedding[{k}], which is not a finite number"), transient: false);
                }

                if (_dimensions is { } dimensions && vector.Length != dimensions)
                {
                    throw Failure(string.Create(CultureInfo.InvariantCulture, $"answered a vector of {vector.Length} dimensions; {EmbeddingOptions.SectionName}:Dimensions says {dimensions}"), transient: false);
                }

                vectors[index] = vector;
                position++;
            }
        }
        catch (JsonException ex)
        {
            throw Failure("answered a body that is not JSON", transient: false, ex);
        }

        return vectors;
    }

    private EmbeddingException Failure(string what, bool transient, Exception? inner = null) =>
        new($"The embeddings endpoint {_endpoint} (model {_model}) {what}.", transient, inner);

    private static string Excerpt(byte[] body)
    {
        if (body.Length == 0)
        {
            return string.Empty;
        }

        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, MaxErrorExcerpt * 4));
        try
        {
            // OpenAI's error shape: {"error": {"message": "…"}}.
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.TryGetProperty("error", out var error)
                && (error.ValueKind == JsonValueKind.String ? error : error.TryGetProperty("message", out var m) ? m : default) is { ValueKind: JsonValueKind.String } message)
            {
                text = message.GetString() ?? text;
            }
        }
        catch (JsonException)
        {
        }

        text = text.ReplaceLineEndings(" ").Trim();
        return ": " + (text.Length > MaxErrorExcerpt ? text[..MaxErrorExcerpt] + "…" : text);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.EmbeddingEndpointFailed, Level = LogLevel.Warning, Message = "Embeddings endpoint {Endpoint} (model {Model}) failed (transient: {Transient}): {Reason}")]
        public static partial void EndpointFailed(ILogger logger, string model, Uri endpoint, bool transient, string reason);
    }
}
