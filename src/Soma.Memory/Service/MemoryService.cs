using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Memory.Vectors;

namespace Soma.Memory.Service;

/// <summary>
/// SomaAgent's own memory service: the SomaBrain protocol on top of an <see cref="IMemoryStore"/>. The HTTP endpoints
/// call it, and the embedded default uses it in-process as its <see cref="IMemoryBackend"/>. Every request is
/// validated first; a refusal throws <see cref="MemoryValidationException"/> naming the field, a link from an unknown
/// key throws <see cref="MemoryNotFoundException"/>, and store failures surface as
/// <see cref="Soma.Core.Storage.StoreException"/>.
/// </summary>
public sealed partial class MemoryService : IMemoryBackend
{
    /// <summary>The longest tenant, namespace, key, link target or relation.</summary>
    public const int MaxNameLength = 256;

    /// <summary>The most tags on one memory.</summary>
    public const int MaxTags = 32;

    /// <summary>The longest tag.</summary>
    public const int MaxTagLength = 128;

    /// <summary>The most inline links on one memory.</summary>
    public const int MaxLinks = 100;

    /// <summary>The most memories in one batch.</summary>
    public const int MaxBatchItems = 100;

    /// <summary>The longest recall query.</summary>
    public const int MaxQueryLength = 4096;

    /// <summary>The largest <c>top_k</c>.</summary>
    public const int MaxTopK = 100;

    // A health probe gives up after this, and a read slower than the threshold reports "degraded".
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan HealthDegradedAfter = TimeSpan.FromMilliseconds(500);
    private static readonly RecallRequest HealthProbe = new("health", "__soma_health", "__soma_health", 1);

    private readonly IMemoryStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly IMemoryVectorStore? _vectors;
    private readonly IEmbedder? _embedder;
    private readonly Embeddings.IEmbedderCatalog? _catalog;
    private readonly VectorIndex? _index;
    private readonly EmbeddingSignal? _embeddingSignal;
    private readonly MemoryRecallOptions _recall;

    /// <summary>
    /// Creates the service. Without an embedder, a vector store and an index, recall is by words only (as with
    /// <c>Soma:Memory:Embeddings:Provider=None</c>).
    /// </summary>
    public MemoryService(
        IMemoryStore store,
        TimeProvider timeProvider,
        ILogger<MemoryService>? logger = null,
        IMemoryVectorStore? vectors = null,
        IEmbedder? embedder = null,
        VectorIndex? index = null,
        EmbeddingSignal? embeddingSignal = null,
        IOptions<MemoryRecallOptions>? recallOptions = null,
        Embeddings.IEmbedderCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _store = store;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _vectors = vectors;
        _embedder = embedder;
        _index = index;
        _embeddingSignal = embeddingSignal;
        _recall = recallOptions?.Value ?? new MemoryRecallOptions();
        _catalog = catalog;
    }

    /// <summary>Whether this service recalls by meaning (an embedder, the vector store and the index are all here).</summary>
    public bool RecallsByMeaning => _vectors is not null && _embedder is not null && _index is not null;

    /// <inheritdoc />
    public async Task<RememberResponse> RememberAsync(RememberRequest request, CancellationToken cancellationToken = default)
    {
        ValidateRemember(request);
        var item = new RememberItem(request.Key, request.Value, request.Tags, request.Links, request.TraceId);
        var results = await _store.UpsertAsync(request.Tenant, request.Namespace, [item], _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        _embeddingSignal?.Notify();
        return results[0];
    }

    /// <inheritdoc />
    public async Task<RememberBatchResponse> RememberBatchAsync(RememberBatchRequest request, CancellationToken cancellationToken = default)
    {
        ValidateBatch(request);
        var results = await _store.UpsertAsync(request.Tenant, request.Namespace, request.Items, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        _embeddingSignal?.Notify();
        return new RememberBatchResponse(results.All(r => r.Ok), results);
    }

    /// <inheritdoc />
    /// <remarks>
    /// By <see cref="RecallRequest.Mode"/>: <c>text</c> searches the words only, <c>vector</c> the meaning only, and
    /// <c>hybrid</c> (the default) both, fused (see <see cref="MemoryRecallOptions"/> and docs/memory.md). Each result
    /// says why it matched in <see cref="RecallResult.Match"/> when the request names its mode.
    /// </remarks>
    public Task<RecallResponse> RecallAsync(RecallRequest request, CancellationToken cancellationToken = default)
    {
        ValidateRecall(request);
        var mode = request.Mode ?? RecallModes.Hybrid;
        Require(
            mode != RecallModes.Vector || RecallsByMeaning,
            "mode 'vector' needs recall by meaning, which this memory service has off (Soma:Memory:Embeddings:Provider is None).");
        var recall = mode == RecallModes.Text || !RecallsByMeaning
            ? RecallByTextAsync(request, cancellationToken)
            : RecallByMeaningAsync(request, mode == RecallModes.Hybrid, cancellationToken);

        // A caller that names no mode gets the SomaBrain protocol's answer exactly; one that names it learns why each matched.
        return request.Mode is null ? WithoutMatchAsync(recall) : recall;
    }

    private static async Task<RecallResponse> WithoutMatchAsync(Task<RecallResponse> recall)
    {
        var response = await recall.ConfigureAwait(false);
        return response with { Results = [.. response.Results.Select(r => r with { Match = null })] };
    }

    /// <inheritdoc />
    public async Task LinkAsync(string tenant, LinkRequest request, CancellationToken cancellationToken = default)
    {
        ValidateLink(tenant, request);
        if (!await _store.LinkAsync(tenant, request, cancellationToken).ConfigureAwait(false))
        {
            throw new MemoryNotFoundException($"from_key '{request.FromKey}' names no memory of this tenant.");
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Healthy when a trivial store read answers within 0.5 s, degraded when it answers within 1.5 s, critical when
    /// it fails or takes longer.
    /// </remarks>
    public async Task<MemoryHealthResponse> HealthAsync(CancellationToken cancellationToken = default)
    {
        var started = _timeProvider.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HealthTimeout);
        try
        {
            await _store.SearchAsync(HealthProbe, _timeProvider.GetUtcNow(), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.HealthReadTimedOut(_logger, HealthTimeout.TotalMilliseconds);
            return Critical;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.HealthReadFailed(_logger, ex);
            return Critical;
        }

        return _timeProvider.GetElapsedTime(started) <= HealthDegradedAfter
            ? new MemoryHealthResponse(true, true, "healthy")
            : new MemoryHealthResponse(true, true, "degraded");
    }

    private static MemoryHealthResponse Critical => new(false, false, "critical");

    private static void ValidateRemember(RememberRequest request)
    {
        Require(request is not null, "The body must be a remember request.");
        Name(request!.Tenant, "tenant");
        Name(request.Namespace, "namespace");
        Item(request.Key, request.Value, request.Tags, request.Links, request.TraceId, "");
    }

    private static void ValidateBatch(RememberBatchRequest request)
    {
        Require(request is not null, "The body must be a batch request.");
        Name(request!.Tenant, "tenant");
        Name(request.Namespace, "namespace");
        Require(request.Items is { Count: > 0 and <= MaxBatchItems }, $"items must hold 1 to {MaxBatchItems} memories.");
        for (var i = 0; i < request.Items.Count; i++)
        {
            var item = request.Items[i];
            var prefix = $"items[{i}].";
            Require(item is not null, $"items[{i}] must be an object.");
            Item(item!.Key, item.Value, item.Tags, item.Links, item.TraceId, prefix);
        }
    }

    private static void ValidateRecall(RecallRequest request)
    {
        Require(request is not null, "The body must be a recall request.");
        Name(request!.Tenant, "tenant");
        Name(request.Namespace, "namespace");
        Require(!string.IsNullOrWhiteSpace(request.Query), "query must not be empty.");
        Require(request.Query.Length <= MaxQueryLength, $"query must be at most {MaxQueryLength} characters.");
        Require(request.TopK is >= 1 and <= MaxTopK, $"top_k must be between 1 and {MaxTopK}.");
        Require(request.MinScore is null or (>= 0 and <= 1), "min_score must be between 0 and 1.");
        Require(
            request.Mode is null or RecallModes.Text or RecallModes.Vector or RecallModes.Hybrid,
            $"mode must be one of {RecallModes.Text}, {RecallModes.Vector}, {RecallModes.Hybrid}.");
        Tags(request.Tags, "");
    }

    private static void ValidateLink(string tenant, LinkRequest request)
    {
        Name(tenant, "tenant");
        Require(request is not null, "The body must be a link request.");
        Name(request!.FromKey, "from_key");
        Name(request.ToKey, "to_key");
        Name(request.Type, "type");
        Require(request.Weight is >= 0 and <= 1, "weight must be between 0 and 1.");
    }

    private static void Item(string key, JsonElement value, IReadOnlyList<string>? tags, IReadOnlyList<MemoryLink>? links, string? traceId, string prefix)
    {
        Name(key, prefix + "key");
        Require(value.ValueKind == JsonValueKind.Object, $"{prefix}value must be a JSON object.");
        Tags(tags, prefix);
        Require(traceId is null || traceId.Length <= MaxNameLength, $"{prefix}trace_id must be at most {MaxNameLength} characters.");
        NoNul(traceId ?? "", $"{prefix}trace_id");
        if (links is null)
        {
            return;
        }

        Require(links.Count <= MaxLinks, $"{prefix}links must hold at most {MaxLinks} links.");
        for (var i = 0; i < links.Count; i++)
        {
            var link = links[i];
            var field = $"{prefix}links[{i}]";
            Require(link is not null, $"{field} must be an object.");
            Name(link!.Rel, field + ".rel");
            Name(link.Target, field + ".target");
            Require(link.Weight is >= 0 and <= 1, $"{field}.weight must be between 0 and 1.");
        }
    }

    private static void Tags(IReadOnlyList<string>? tags, string prefix)
    {
        if (tags is null)
        {
            return;
        }

        Require(tags.Count <= MaxTags, $"{prefix}tags must hold at most {MaxTags} tags.");
        for (var i = 0; i < tags.Count; i++)
        {
            Require(!string.IsNullOrWhiteSpace(tags[i]), $"{prefix}tags[{i}] must not be empty.");
            Require(tags[i].Length <= MaxTagLength, $"{prefix}tags[{i}] must be at most {MaxTagLength} characters.");
            NoNul(tags[i], $"{prefix}tags[{i}]");
        }
    }

    private static void Name(string? value, string field)
    {
        Require(!string.IsNullOrWhiteSpace(value), $"{field} must not be empty.");
        Require(value!.Length <= MaxNameLength, $"{field} must be at most {MaxNameLength} characters.");
        NoNul(value, field);
    }

    // PostgreSQL text cannot hold U+0000; refusing it everywhere keeps the engines alike.
    private static void NoNul(string value, string field) =>
        Require(!value.Contains('\0', StringComparison.Ordinal), $"{field} must not contain the NUL character.");

    private static void Require(bool condition, string detail)
    {
        if (!condition)
        {
            throw new MemoryValidationException(detail);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.MemoryServiceHealthReadFailed, Level = LogLevel.Warning, Message = "Memory health read failed")]
        public static partial void HealthReadFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = LogEvents.MemoryServiceHealthReadTimedOut, Level = LogLevel.Warning, Message = "Memory health read took longer than {TimeoutMilliseconds} ms")]
        public static partial void HealthReadTimedOut(ILogger logger, double timeoutMilliseconds);
    }
}
