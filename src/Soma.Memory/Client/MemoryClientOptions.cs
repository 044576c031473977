using System.ComponentModel.DataAnnotations;

namespace Soma.Memory.Client;

/// <summary>
/// <c>Soma:Memory:Client</c>: where the memory service is, how long a call may take, how calls are retried, when the
/// breaker opens, and how the health monitor probes.
/// </summary>
public sealed class MemoryClientOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Memory:Client";

    /// <summary>The memory service's root URL, e.g. <c>http://127.0.0.1:9696/</c>. Required for the HTTP client.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>A static bearer token sent as <c>Authorization: Bearer …</c> (SomaBrain's API key). Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Seconds one attempt may take (default 5).</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 5;

    /// <summary>Retries after a transient failure, per call (default 3; 0 turns retries off).</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's median delay in milliseconds; later ones grow exponentially with jitter (default 100).</summary>
    [Range(1, 60_000)]
    public int RetryBaseDelayMilliseconds { get; set; } = 100;

    /// <summary>
    /// The longest wait between two attempts, in seconds (default 10). A <c>Retry-After</c> longer than this is not
    /// waited out inside the call: the call fails (transient, with <see cref="Core.Memory.MemoryBackendException.RetryAfter"/>)
    /// and the caller's own schedule takes over.
    /// </summary>
    [Range(1, 600)]
    public int RetryMaxDelaySeconds { get; set; } = 10;

    /// <summary>The share of failed attempts within the sampling window that opens the breaker (default 0.5).</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts the sampling window must hold before the breaker may open (default 5, at least 2).</summary>
    [Range(2, 10_000)]
    public int BreakerMinimumThroughput { get; set; } = 5;

    /// <summary>
    /// The breaker's sampling window in seconds (default 10); the health monitor also calls the client degraded while
    /// a transient failure lies within this window.
    /// </summary>
    [Range(1, 3600)]
    public int BreakerSamplingSeconds { get; set; } = 10;

    /// <summary>Seconds the breaker stays open before a trial call (default 5).</summary>
    [Range(1, 3600)]
    public int BreakerBreakSeconds { get; set; } = 5;

    /// <summary>The shortest pause between two health probes, in milliseconds (default 1000).</summary>
    [Range(50, 60_000)]
    public int ProbeIntervalMinMilliseconds { get; set; } = 1000;

    /// <summary>The longest pause between two health probes, in milliseconds (default 1500; at least the minimum).</summary>
    [Range(50, 60_000)]
    public int ProbeIntervalMaxMilliseconds { get; set; } = 1500;

    /// <summary>How long a health probe may take before it counts as failed, in milliseconds (default 1500).</summary>
    [Range(10, 60_000)]
    public int ProbeTimeoutMilliseconds { get; set; } = 1500;

    /// <summary>A probe slower than this many milliseconds makes the mode degraded (default 500).</summary>
    [Range(1, 60_000)]
    public int DegradedLatencyMilliseconds { get; set; } = 500;
}
