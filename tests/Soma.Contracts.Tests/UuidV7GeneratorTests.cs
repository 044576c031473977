using Soma.Contracts.Identity;

namespace Soma.Contracts.Tests;

public sealed class UuidV7GeneratorTests
{
    [Fact]
    public void Ids_issued_in_the_same_millisecond_still_increase_and_stay_version_7()
    {
        var frozen = new FrozenClock(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        var generator = new UuidV7Generator(frozen);
        var ids = Enumerable.Range(0, 10_000).Select(_ => generator.NewId()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids, ids.Order());
        Assert.Equal(ids.Select(i => i.ToString()), ids.Select(i => i.ToString()).Order(StringComparer.Ordinal));
        Assert.All(ids, id =>
        {
            Assert.Equal(7, id.Version);
            Assert.Contains(id.ToString()[19], "89ab");
            var hex = id.ToString("N");
            Assert.Equal(frozen.GetUtcNow().ToUnixTimeMilliseconds(), Convert.ToInt64(hex[..12], 16));
        });
    }

    private sealed class FrozenClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
