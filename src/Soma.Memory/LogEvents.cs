namespace Soma.Memory;

/// <summary>
/// The one registry of this project's log event ids: every <c>[LoggerMessage]</c> of Soma.Memory takes its id from here, each id
/// names one kind of log line, and ids stay stable across releases (operators filter and alert on them). A test checks
/// that they are unique and that no <c>[LoggerMessage]</c> uses an id from elsewhere.
/// </summary>
internal static class LogEvents
{
    /// <summary>Logged by <c>MemoryService</c>.</summary>
    public const int MemoryServiceHealthReadFailed = 5101;

    /// <summary>Logged by <c>MemoryService</c>.</summary>
    public const int MemoryServiceHealthReadTimedOut = 5102;

    /// <summary>Logged by <c>MemoryService</c>.</summary>
    public const int MemoryServiceQueryEmbeddingFailed = 5103;

    /// <summary>Logged by <c>MemoryServiceEndpoints</c>.</summary>
    public const int MemoryServiceEndpointsStoreFailed = 5111;

    /// <summary>Logged by <c>MemoryDispatcher</c>.</summary>
    public const int MemoryDispatcherBatchRefused = 5112;

    /// <summary>Logged by <c>MemoryDispatcher</c>.</summary>
    public const int MemoryDispatcherRefused = 5113;

    /// <summary>Logged by <c>MemoryDispatcher</c>.</summary>
    public const int MemoryDispatcherInvalidateFailed = 5114;

    /// <summary>Logged by <c>MemorySyncWorker</c>.</summary>
    public const int MemorySyncWorkerPaused = 5121;

    /// <summary>Logged by <c>MemorySyncWorker</c>.</summary>
    public const int MemorySyncWorkerResumed = 5122;

    /// <summary>Logged by <c>MemoryBacklog</c>.</summary>
    public const int MemoryBacklogRefreshFailed = 5123;

    /// <summary>Logged by <c>RedisRecallCache</c>.</summary>
    public const int RedisRecallCacheFailed = 5131;

    /// <summary>Logged by <c>MemoryHealthMonitor</c>.</summary>
    public const int MemoryHealthMonitorModeChanged = 5141;

    /// <summary>Logged by <c>MemoryHealthMonitor</c>.</summary>
    public const int MemoryHealthMonitorProbeCrashed = 5142;

    /// <summary>Logged by <c>EmbeddingWorker</c>.</summary>
    public const int EmbeddingWorkerEnqueuedMissing = 5171;

    /// <summary>Logged by <c>EmbeddingWorker</c>.</summary>
    public const int EmbeddingWorkerBatchFailed = 5172;

    /// <summary>Logged by <c>EmbeddingWorker</c>.</summary>
    public const int EmbeddingWorkerStoreFailed = 5173;

    /// <summary>Logged by <c>VectorIndexSync</c>.</summary>
    public const int VectorIndexSyncReadFailed = 5174;

    /// <summary>Logged by <c>VectorIndexSync</c>.</summary>
    public const int VectorIndexSyncLoaded = 5175;

    /// <summary>Logged by <c>InProcessEmbeddingGenerator</c>.</summary>
    public const int EmbeddingModelLoaded = 5181;

    /// <summary>Logged by <c>InProcessEmbeddingGenerator</c>.</summary>
    public const int EmbeddingModelLoadFailed = 5182;

    /// <summary>Logged by <c>InProcessEmbeddingGenerator</c>.</summary>
    public const int EmbeddingInferenceFailed = 5183;

    /// <summary>Logged by <c>OpenAiEmbeddingGenerator</c>.</summary>
    public const int EmbeddingEndpointFailed = 5184;
}
