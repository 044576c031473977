using System.ComponentModel.DataAnnotations;

namespace Soma.Gateway;

/// <summary>HTTP gateway settings, bound from <c>Soma:Gateway</c>.</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Gateway";

    /// <summary>Largest request body accepted, in bytes; larger bodies get 413. Default 1 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest message content in bytes (UTF-8); a larger one is refused with 413.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Requests per second each tenant may make on average (a token bucket per tenant); over it, 429 with Retry-After.</summary>
    [Range(1, 10_000_000)]
    public int RequestsPerSecond { get; set; } = 100;

    /// <summary>Requests a tenant may make at once above its rate (the bucket's size).</summary>
    [Range(1, 10_000_000)]
    public int RequestBurst { get; set; } = 200;

    /// <summary>Chat turns a tenant may have in flight in this process; over it, new messages get 429 with Retry-After.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentTurns { get; set; } = 16;

    /// <summary>Seconds between keepalive comments on an idle event stream.</summary>
    [Range(1, 3600)]
    public int SseKeepAliveSeconds { get; set; } = 15;
}
