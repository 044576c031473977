using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Memory.Cache;

namespace Soma.Memory.Tests.Cache;

public sealed class MemoryRecallerTests : IAsyncLifetime
{
    private readonly CountingBackend _backend = new();
    private ServiceProvider _services = null!;

    public ValueTask InitializeAsync()
    {
        _services = Services(new Dictionary<string, string?>()).BuildServiceProvider();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task A_second_identical_recall_is_answered_by_the_cache()
    {
        using var metrics = new MetricRecorder(_services.GetRequiredService<IMeterFactory>());
        using var value = JsonDocument.Parse("""{"text":"tea"}""");
        _backend.Answer = new RecallResponse([new RecallResult("k1", 0.9, value.RootElement.Clone(), [])], 1, Degraded: false);
        var recaller = _services.GetRequiredService<MemoryRecaller>();

        var first = await recaller.RecallAsync(new RecallRequest("tea", "acme", "session:1"));
        var second = await recaller.RecallAsync(new RecallRequest("tea", "acme", "session:1"));

        Assert.Equal(1, _backend.Recalls);
        Assert.False(first.Cached);
        Assert.True(second.Cached);
        Assert.Equal("k1", Assert.Single(second.Results).Key);
        Assert.Equal(1, metrics.Sum("soma.memory.recall.cache_hits"));
        Assert.Equal(1, metrics.Sum("soma.memory.recall.cache_misses"));
        Assert.Equal(1, metrics.Count("soma.memory.recall.duration", "cached", "true"));
        Assert.Equal(1, metrics.Count("soma.memory.recall.duration", "cached", "false"));
    }

    [Fact]
    public async Task Degraded_answers_are_not_cached()
    {
        _backend.Answer = new RecallResponse([], 0, Degraded: true);
        var recaller = _services.GetRequiredService<MemoryRecaller>();

        await recaller.RecallAsync(new RecallRequest("tea", "acme", "session:1"));
        var second = await recaller.RecallAsync(new RecallRequest("tea", "acme", "session:1"));

        Assert.Equal(2, _backend.Recalls);
        Assert.False(second.Cached);
    }

    [Fact]
    public async Task Invalidating_sends_the_next_recall_to_the_backend()
    {
        var recaller = _services.GetRequiredService<MemoryRecaller>();
        await recaller.RecallAsync(new RecallRequest("tea", "acme", "session:1"));
        await recaller.InvalidateAsync("acme", "session:1");
        var after = await recaller.RecallAsync(new RecallRequest("tea", "acme", "session:1"));

        Assert.Equal(2, _backend.Recalls);
        Assert.False(after.Cached);
    }

    [Fact]
    public async Task Backend_failures_reach_the_caller()
    {
        _backend.Failure = new MemoryBackendException("memory is down", transient: true, status: 503);
        var recaller = _services.GetRequiredService<MemoryRecaller>();

        var thrown = await Assert.ThrowsAsync<MemoryBackendException>(() => recaller.RecallAsync(new RecallRequest("tea", "acme", "session:1")));
        Assert.Equal(503, thrown.Status);
    }

    [Fact]
    public async Task The_default_provider_is_in_process_and_redis_is_chosen_by_configuration()
    {
        Assert.IsType<InProcessRecallCache>(_services.GetRequiredService<IRecallCache>());

        await using var redis = Services(new Dictionary<string, string?>
        {
            ["Soma:Cache:Provider"] = "Redis",
            ["Soma:Cache:RedisConfiguration"] = "127.0.0.1:1,password=secret",
        }).BuildServiceProvider();
        Assert.IsType<RedisRecallCache>(redis.GetRequiredService<IRecallCache>());
    }

    [Fact]
    public async Task Bad_settings_fail_naming_their_keys_without_echoing_secrets()
    {
        await using var services = Services(new Dictionary<string, string?>
        {
            ["Soma:Cache:Provider"] = "memcached",
            ["Soma:Cache:TtlSeconds"] = "0",
            ["Soma:Cache:MaxEntries"] = "-1",
            ["Soma:Cache:OperationTimeoutMilliseconds"] = "0",
        }).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RecallCacheOptions>>().Value);
        Assert.Contains(error.Failures, f => f.StartsWith("Soma:Cache:Provider", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Soma:Cache:TtlSeconds", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Soma:Cache:MaxEntries", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Soma:Cache:OperationTimeoutMilliseconds", StringComparison.Ordinal));

        await using var redis = Services(new Dictionary<string, string?> { ["Soma:Cache:Provider"] = "redis" }).BuildServiceProvider();
        error = Assert.Throws<OptionsValidationException>(() => redis.GetRequiredService<IOptions<RecallCacheOptions>>().Value);
        Assert.Contains(error.Failures, f => f.StartsWith("Soma:Cache:RedisConfiguration", StringComparison.Ordinal));

        await using var garbled = Services(new Dictionary<string, string?>
        {
            ["Soma:Cache:Provider"] = "redis",
            ["Soma:Cache:RedisConfiguration"] = "127.0.0.1:6379,password=secret,connectTimeout=soon",
        }).BuildServiceProvider();
        error = Assert.Throws<OptionsValidationException>(() => garbled.GetRequiredService<IOptions<RecallCacheOptions>>().Value);
        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("Soma:Cache:RedisConfiguration", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure, StringComparison.Ordinal);
    }

    private IServiceCollection Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton<IMemoryBackend>(_backend);
        services.AddSomaRecallCache();
        return services;
    }
}
