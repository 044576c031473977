namespace Soma.Memory.Embeddings;

/// <summary>
/// <c>Soma:Memory:Embeddings</c>: which embedder turns memories and recall queries into vectors. Defaults: the in-process
/// <c>all-minilm-l6-v2</c> model on every core, batches of 32, queues of 256 requests, 30 s per call.
/// </summary>
public sealed class EmbeddingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Memory:Embeddings";

    /// <summary>The in-process provider (the default): a model shipped in a NuGet package, run on ONNX Runtime, no network.</summary>
    public const string InProcessProvider = "InProcess";

    /// <summary>An OpenAI-compatible <c>POST {BaseUrl}/v1/embeddings</c> endpoint.</summary>
    public const string OpenAIProvider = "OpenAI";

    /// <summary>No embedder: recall by text only.</summary>
    public const string NoneProvider = "None";

    /// <summary>The default in-process model.</summary>
    public const string DefaultModel = InProcessModels.MiniLmId;

    /// <summary><c>InProcess</c> (default), <c>OpenAI</c> or <c>None</c>, case-insensitive.</summary>
    public string Provider { get; set; } = InProcessProvider;

    /// <summary>
    /// The model: for <c>InProcess</c> one of <c>all-minilm-l6-v2</c> (default) and <c>arctic-embed-xs</c>; for
    /// <c>OpenAI</c> the name the endpoint knows. The id is stored with every vector.
    /// </summary>
    public string Model { get; set; } = DefaultModel;

    /// <summary>ONNX Runtime's intra-op threads for the in-process model (default: the machine's processor count).</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>The most texts one in-process inference takes, waiting requests coalesced (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// Requests that may wait for the in-process model, for each purpose (recall queries and memory documents have a
    /// queue each); a request beyond it fails at once as transient (default 256).
    /// </summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>
    /// Whether the memory service loads the in-process model in the background as it starts (default true), so the first
    /// recall after a start finds it ready instead of waiting for the load (a recall waits at most
    /// <c>Soma:Memory:Recall:QueryEmbeddingTimeoutMilliseconds</c>, then answers by words alone, marked degraded). False
    /// loads it at the first embedding: a process that never embeds never pays for it.
    /// </summary>
    public bool LoadAtStart { get; set; } = true;

    /// <summary>The OpenAI-compatible endpoint's root URL (the adapter posts to <c>{BaseUrl}/v1/embeddings</c>); required for <c>OpenAI</c>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>A bearer token for the endpoint, sent as <c>Authorization: Bearer …</c> when set. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The length of the endpoint's vectors; required for <c>OpenAI</c> unless <see cref="Model"/> is a model this
    /// process knows. A vector of another length fails the call.
    /// </summary>
    public int? Dimensions { get; set; }

    /// <summary>
    /// Overrides the model's match floor: the cosine similarity below which a memory does not match by meaning.
    /// Required for <c>OpenAI</c> unless <see cref="Model"/> is a model this process knows (whose measured floor applies).
    /// </summary>
    public double? MatchFloor { get; set; }

    /// <summary>How long one embedding call may take, waiting in the queue included, in milliseconds (default 30,000).</summary>
    public int TimeoutMilliseconds { get; set; } = 30_000;

    internal bool IsNone => string.Equals(Provider?.Trim(), NoneProvider, StringComparison.OrdinalIgnoreCase);

    internal bool IsOpenAI => string.Equals(Provider?.Trim(), OpenAIProvider, StringComparison.OrdinalIgnoreCase);

    internal bool IsInProcess => string.Equals(Provider?.Trim(), InProcessProvider, StringComparison.OrdinalIgnoreCase);

    internal TimeSpan Timeout => TimeSpan.FromMilliseconds(TimeoutMilliseconds);
}
