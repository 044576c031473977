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

    [Fact]
    public void Ids_carry_their_clock_time_and_fresh_random_bits_across_many_refills()
    {
        var generator = new UuidV7Generator(TimeProvider.System);
        var other = new UuidV7Generator(TimeProvider.System);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ids = Enumerable.Range(0, 5_000).Select(_ => generator.NewId()).ToList();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Far more ids than one draw of random bits holds: the 74 random bits differ from id to id, and from another generator's.
        Assert.Equal(ids.Count, ids.Select(RandomBits).Distinct().Count());
        Assert.Empty(ids.Select(RandomBits).Intersect(Enumerable.Range(0, 5_000).Select(_ => RandomBits(other.NewId()))));
        Assert.Equal(ids, ids.Order());
        Assert.All(ids, id =>
        {
            Assert.Equal(7, id.Version);
            Assert.Contains(id.ToString()[19], "89ab");
            Assert.InRange(Convert.ToInt64(id.ToString("N")[..12], 16), before, after);
        });
    }

    [Fact]
    public void A_time_before_1970_is_refused()
    {
        var generator = new UuidV7Generator(new FrozenClock(new DateTimeOffset(1969, 12, 31, 23, 59, 59, TimeSpan.Zero)));
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.NewId());
    }

    // The bits after the version and variant: rand_a (12) and rand_b (62), as hex without the fixed nibbles.
    private static string RandomBits(Guid id)
    {
        var hex = id.ToString("N");
        return hex[13..16] + ((Convert.ToInt32(hex[16..17], 16) & 0x3).ToString("x", System.Globalization.CultureInfo.InvariantCulture)) + hex[17..];
    }

    private sealed class FrozenClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
