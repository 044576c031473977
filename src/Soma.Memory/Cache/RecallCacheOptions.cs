namespace Soma.Memory.Cache;

/// <summary>
/// The recall cache, bound from <c>Soma:Cache</c>. Defaults: in-process, 5-minute TTL, at most 10,000 entries.
/// </summary>
public sealed class RecallCacheOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Soma:Cache";

    /// <summary>The in-process provider's name (the default).</summary>
    public const string InProcessProvider = "inprocess";

    /// <summary>The Redis provider's name.</summary>
    public const string RedisProvider = "redis";

    /// <summary><c>inprocess</c> (default) or <c>redis</c>, case-insensitive.</summary>
    public string Provider { get; set; } = InProcessProvider;

    /// <summary>A StackExchange.Redis configuration string (<c>host:port,password=…,ssl=true</c>); required for <c>redis</c>.</summary>
    public string? RedisConfiguration { get; set; }

    /// <summary>How long a recall stays cached, in seconds (default 300).</summary>
    public int TtlSeconds { get; set; } = 300;

    /// <summary>The in-process cache's capacity in entries (default 10,000); the oldest-used give way beyond it.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>How long one Redis operation may take before it counts as a miss, in milliseconds (default 250).</summary>
    public int OperationTimeoutMilliseconds { get; set; } = 250;

    internal bool IsRedis => string.Equals(Provider, RedisProvider, StringComparison.OrdinalIgnoreCase);

    internal TimeSpan Ttl => TimeSpan.FromSeconds(TtlSeconds);
}
