using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Soma.Core.Memory;
using Soma.Memory.Cache;

namespace Soma.Memory.Tests.Cache;

public sealed class InProcessRecallCacheTests : RecallCacheComplianceTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected override Task<IRecallCache> CreateCacheAsync(RecallCacheOptions options) =>
        Task.FromResult<IRecallCache>(new InProcessRecallCache(Options.Create(options), _time));

    [Fact]
    public async Task Entries_expire_after_the_ttl_on_the_injected_clock()
    {
        await using var scope = new CacheScope(await CreateCacheAsync(new RecallCacheOptions { TtlSeconds = 60 }));
        await scope.Cache.SetAsync(Request(), Answer());

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.NotNull(await scope.Cache.GetAsync(Request()));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await scope.Cache.GetAsync(Request()));
    }

    [Fact]
    public async Task The_cache_holds_no_more_than_max_entries()
    {
        await using var scope = new CacheScope(await CreateCacheAsync(new RecallCacheOptions { MaxEntries = 2 }));
        for (var i = 0; i < 3; i++)
        {
            await scope.Cache.SetAsync(Request(query: $"q{i}"), Answer());
        }

        var hits = 0;
        for (var i = 0; i < 3; i++)
        {
            hits += await scope.Cache.GetAsync(Request(query: $"q{i}")) is null ? 0 : 1;
        }

        Assert.True(hits <= 2, $"{hits} entries held with MaxEntries = 2");
    }

    private sealed class CacheScope(IRecallCache cache) : IAsyncDisposable
    {
        public IRecallCache Cache { get; } = cache;

        public ValueTask DisposeAsync()
        {
            (Cache as IDisposable)?.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
