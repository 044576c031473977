namespace Soma.Core.Memory;

/// <summary>
/// A memory service speaking the SomaBrain protocol: SomaBrain itself, or SomaAgent's own memory service. Calls throw
/// <see cref="MemoryBackendException"/> when the service refuses or cannot be reached.
/// </summary>
public interface IMemoryBackend
{
    /// <summary>Stores or updates one memory.</summary>
    Task<RememberResponse> RememberAsync(RememberRequest request, CancellationToken cancellationToken = default);

    /// <summary>Stores or updates several memories of one tenant and namespace.</summary>
    Task<RememberBatchResponse> RememberBatchAsync(RememberBatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Finds memories by text.</summary>
    Task<RecallResponse> RecallAsync(RecallRequest request, CancellationToken cancellationToken = default);

    /// <summary>Links two memories of <paramref name="tenant"/>.</summary>
    Task LinkAsync(string tenant, LinkRequest request, CancellationToken cancellationToken = default);

    /// <summary>The service's own view of its health.</summary>
    Task<MemoryHealthResponse> HealthAsync(CancellationToken cancellationToken = default);
}

/// <summary>A memory call that failed.</summary>
public sealed class MemoryBackendException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MemoryBackendException(string message, bool transient, int? status = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Transient = transient;
        Status = status;
    }

    /// <summary>Creates the exception.</summary>
    public MemoryBackendException()
        : this("The memory call failed.", true)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MemoryBackendException(string message)
        : this(message, true)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MemoryBackendException(string message, Exception innerException)
        : this(message, true, null, innerException)
    {
    }

    /// <summary>Whether trying again later can help (network, 5xx, 429, open breaker); false for 4xx refusals.</summary>
    public bool Transient { get; }

    /// <summary>The HTTP status, when there was one.</summary>
    public int? Status { get; }

    /// <summary>
    /// How long the service asked the caller to wait before trying again (a 429's or 503's <c>Retry-After</c>, or the
    /// time left on an open breaker); null when it said nothing.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }
}
