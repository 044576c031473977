using CsCheck;
using Soma.Core.Retry;

namespace Soma.Core.Tests.Retry;

public sealed class DecorrelatedJitterTests
{
    // Realistic settings: a base from nothing to a minute, a cap up to a day, a previous delay anywhere up to twice the cap.
    private static readonly Gen<(TimeSpan Previous, TimeSpan Base, TimeSpan Max, int Seed)> Settings =
        from baseTicks in Gen.Long[0, TimeSpan.TicksPerMinute]
        from maxTicks in Gen.Long[0, TimeSpan.TicksPerDay]
        from previousTicks in Gen.Long[0, 2 * TimeSpan.TicksPerDay]
        from seed in Gen.Int
        select (TimeSpan.FromTicks(previousTicks), TimeSpan.FromTicks(baseTicks), TimeSpan.FromTicks(maxTicks), seed);

    [Fact]
    public void Every_delay_is_within_the_base_and_the_cap()
    {
        Settings.Sample((previous, baseDelay, maxDelay, seed) =>
        {
            var random = new Random(seed);
            var delay = DecorrelatedJitter.Next(previous, baseDelay, maxDelay, random);
            for (var attempt = 0; attempt < 20; attempt++)
            {
                Assert.InRange(delay, baseDelay, baseDelay > maxDelay ? baseDelay : maxDelay);
                delay = DecorrelatedJitter.Next(delay, baseDelay, maxDelay, random);
            }
        }, iter: 2000, threads: 1);
    }

    [Fact]
    public void Every_delay_stays_within_the_bounds_whatever_the_durations()
    {
        // Extreme durations too (a cap of thousands of years makes previous * 3 overflow): the bounds still hold.
        var any = Gen.Long[0, TimeSpan.MaxValue.Ticks].Select(TimeSpan.FromTicks);
        Gen.Select(any, any, any, Gen.Int).Sample((previous, baseDelay, maxDelay, seed) =>
        {
            var delay = DecorrelatedJitter.Next(previous, baseDelay, maxDelay, new Random(seed));

            Assert.InRange(delay, baseDelay, baseDelay > maxDelay ? baseDelay : maxDelay);
        }, iter: 2000, threads: 1);
    }

    [Fact]
    public void A_delay_is_at_most_three_times_the_previous_one_or_the_base()
    {
        Settings.Sample((previous, baseDelay, maxDelay, seed) =>
        {
            var delay = DecorrelatedJitter.Next(previous, baseDelay, maxDelay, new Random(seed));

            Assert.True(delay.Ticks <= 3 * Math.Max(previous.Ticks, baseDelay.Ticks), $"{delay} after {previous} (base {baseDelay})");
        }, iter: 2000, threads: 1);
    }

    [Fact]
    public void The_first_delay_is_drawn_between_the_base_and_three_times_the_base()
    {
        var baseDelay = TimeSpan.FromMilliseconds(100);
        var random = new Random(7);
        var delays = Enumerable.Range(0, 500).Select(_ => DecorrelatedJitter.Next(TimeSpan.Zero, baseDelay, TimeSpan.FromMinutes(1), random)).ToList();

        Assert.All(delays, d => Assert.InRange(d, baseDelay, 3 * baseDelay));
        // Jitter: not one fixed value.
        Assert.True(delays.Distinct().Count() > 100);
    }

    [Fact]
    public void A_cap_below_the_base_gives_the_base()
    {
        var random = new Random(1);

        Assert.Equal(TimeSpan.FromSeconds(5), DecorrelatedJitter.Next(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), random));
        Assert.Equal(TimeSpan.FromSeconds(5), DecorrelatedJitter.Next(TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), random));
    }

    [Fact]
    public void The_same_seed_replays_the_same_delays()
    {
        Settings.Sample((previous, baseDelay, maxDelay, seed) =>
        {
            Assert.Equal(Delays(new Random(seed)), Delays(new Random(seed)));

            List<TimeSpan> Delays(Random random)
            {
                var delays = new List<TimeSpan>();
                var delay = previous;
                for (var i = 0; i < 10; i++)
                {
                    delay = DecorrelatedJitter.Next(delay, baseDelay, maxDelay, random);
                    delays.Add(delay);
                }

                return delays;
            }
        }, iter: 500, threads: 1);
    }
}
