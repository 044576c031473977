using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Memory.Cache;
using Soma.Testing;
using StackExchange.Redis;

namespace Soma.Memory.Tests.Cache;

public sealed class RedisRecallCacheTests : RecallCacheComplianceTests
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private RedisServer? _server;

    private RedisServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public override async ValueTask InitializeAsync()
    {
        _server = await RedisServer.StartNewAsync();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    protected override async Task<IRecallCache> CreateCacheAsync(RecallCacheOptions options)
    {
        options.Provider = RecallCacheOptions.RedisProvider;
        options.RedisConfiguration = Server.Configuration;

        // A loaded machine can be slower than the production 250 ms; timeouts have their own test below.
        options.OperationTimeoutMilliseconds = 5_000;
        var cache = new RedisRecallCache(
            Options.Create(options), TimeProvider.System, _services.GetRequiredService<IMeterFactory>(), new ListLogger<RedisRecallCache>());

        // The connection is made on first use and a failed operation is a quiet miss: connect before the test begins.
        await WaitUntilReachableAsync(cache);
        return cache;
    }

    [Fact]
    public async Task Entries_carry_the_configured_ttl_on_the_server()
    {
        await using var cache = (RedisRecallCache)await CreateCacheAsync(new RecallCacheOptions { TtlSeconds = 120 });
        await cache.SetAsync(Request(), Answer());
        await cache.InvalidateAsync(Tenant, "session:9");

        await using var redis = await ConnectionMultiplexer.ConnectAsync(Server.Configuration);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var entries = server.Keys(pattern: $"soma:recall:{Tenant}:*").ToList();
        var entry = Assert.Single(entries);
        Assert.StartsWith($"soma:recall:{Tenant}:session%3A1:0:", entry.ToString(), StringComparison.Ordinal);
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(entry);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(120));

        // The generation key outlives every entry of its generations (twice the TTL), then goes too.
        var generationTtl = await redis.GetDatabase().KeyTimeToLiveAsync($"soma:recall:gen:{Tenant}:session%3A9");
        Assert.NotNull(generationTtl);
        Assert.InRange(generationTtl.Value, TimeSpan.FromSeconds(121), TimeSpan.FromSeconds(240));
        Assert.Equal(1, (long)await redis.GetDatabase().StringGetAsync($"soma:recall:gen:{Tenant}:session%3A9"));
    }

    [Fact]
    public async Task With_redis_stopped_gets_miss_and_sets_and_invalidates_return_quietly()
    {
        using var metrics = new MetricRecorder(_services.GetRequiredService<IMeterFactory>());
        await Cache.SetAsync(Request(), Answer());
        Assert.NotNull(await Cache.GetAsync(Request()));

        await Server.StopAsync();

        Assert.Null(await Cache.GetAsync(Request()));
        await Cache.SetAsync(Request(query: "other"), Answer());
        await Cache.InvalidateAsync(Tenant, "session:1");
        Assert.Null(await Cache.GetAsync(Request(query: "other")));

        Assert.True(metrics.Sum("soma.memory.recall.cache_errors", "operation", "get") >= 1);
        Assert.True(metrics.Sum("soma.memory.recall.cache_errors", "operation", "invalidate") >= 1);
    }

    [Fact]
    public async Task A_stale_entry_is_not_served_after_an_invalidate_that_failed_while_redis_was_down()
    {
        await Cache.SetAsync(Request(), Answer("before the write"));
        Assert.NotNull(await Cache.GetAsync(Request()));
        await Server.StopAsync();

        await Cache.InvalidateAsync(Tenant, "session:1");

        await Server.StartAsync();

        // The old entry survived the outage, so only the dirty-namespace rule keeps it from being served.
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(Server.Configuration))
        {
            Assert.Single(redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: $"soma:recall:{Tenant}:session%3A1:0:*"));
        }

        await WaitUntilReachableAsync(Cache);
        Assert.Null(await Cache.GetAsync(Request()));

        // Once the generation has moved on, the namespace caches again.
        var fresh = Answer("after the write");
        var request = Request();
        Assert.Null(await Cache.GetAsync(request));
        await Cache.SetAsync(request, fresh);
        AssertSameAnswer(fresh, await Cache.GetAsync(Request()));
    }

    [Fact]
    public async Task A_server_that_never_answered_is_a_miss_within_the_operation_timeout()
    {
        var logger = new ListLogger<RedisRecallCache>();
        await using var cache = new RedisRecallCache(
            Options.Create(new RecallCacheOptions { Provider = "redis", RedisConfiguration = $"127.0.0.1:{FreePort.Next()},password=hunter2", OperationTimeoutMilliseconds = 100 }),
            TimeProvider.System,
            _services.GetRequiredService<IMeterFactory>(),
            logger);

        Assert.Null(await cache.GetAsync(Request()));
        await cache.SetAsync(Request(), Answer());
        await cache.InvalidateAsync(Tenant, "session:1");
        Assert.Null(await cache.GetAsync(Request()));

        // Warned once (the rest are throttled), naming the server but never its password.
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("127.0.0.1", warning.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", warning.Text, StringComparison.Ordinal);
    }

    // The multiplexer (re)connects in the background; a probe in another tenant hits once it has.
    private async Task WaitUntilReachableAsync(IRecallCache cache)
    {
        var probe = new RecallRequest("probe", Tenant + "-probe", "probe");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await cache.GetAsync(probe) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "The cache did not reach Redis within 30 s.");
            await cache.SetAsync(probe, Answer());
            await Task.Delay(20);
        }
    }
}
