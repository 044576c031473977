using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Tests.Workflows;

/// <summary>Retry delays: decorrelated jitter, always within [base, cap], growing towards the cap, deterministic per seed.</summary>
public sealed class StepPolicyTests
{
    private static readonly StepPolicy Policy = new() { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(30) };

    [Fact]
    public void The_default_policy_is_three_attempts_100ms_to_30s_without_timeout()
    {
        Assert.Equal(3, StepPolicy.Default.MaxAttempts);
        Assert.Null(StepPolicy.Default.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), StepPolicy.Default.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), StepPolicy.Default.MaxDelay);
    }

    [Fact]
    public void Next_delay_stays_within_base_and_cap_for_many_seeds_and_any_previous_delay()
    {
        TimeSpan[] previous = [TimeSpan.Zero, TimeSpan.FromTicks(-1), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(29), TimeSpan.FromHours(5), TimeSpan.MaxValue, TimeSpan.MinValue];
        for (var seed = 0; seed < 1000; seed++)
        {
            var random = new Random(seed);
            foreach (var start in previous)
            {
                var delay = Policy.NextDelay(start, random);
                Assert.InRange(delay, Policy.BaseDelay, Policy.MaxDelay);
            }

            var chained = TimeSpan.Zero;
            for (var attempt = 0; attempt < 30; attempt++)
            {
                chained = Policy.NextDelay(chained, random);
                Assert.InRange(chained, Policy.BaseDelay, Policy.MaxDelay);
            }
        }
    }

    [Fact]
    public void Next_delay_is_at_most_three_times_the_previous_one()
    {
        for (var seed = 0; seed < 1000; seed++)
        {
            var random = new Random(seed);
            var delay = TimeSpan.Zero;
            for (var attempt = 0; attempt < 20; attempt++)
            {
                var next = Policy.NextDelay(delay, random);
                Assert.True(next <= TimeSpan.FromTicks(Math.Max(Policy.BaseDelay.Ticks, delay.Ticks) * 3), $"seed {seed}: {next} after {delay}");
                delay = next;
            }
        }
    }

    [Fact]
    public void Delays_grow_attempt_after_attempt_until_the_cap()
    {
        const int Seeds = 2000;
        var sums = new double[8];
        var reachedCap = 0;
        for (var seed = 0; seed < Seeds; seed++)
        {
            var random = new Random(seed);
            var delay = TimeSpan.Zero;
            for (var attempt = 0; attempt < 400; attempt++)
            {
                delay = Policy.NextDelay(delay, random);
                if (attempt < sums.Length)
                {
                    sums[attempt] += delay.TotalMilliseconds;
                }

                if (delay == Policy.MaxDelay)
                {
                    reachedCap++;
                    break;
                }
            }
        }

        // The mean of each attempt's delay exceeds the one before (by about 1.5x while far from the cap).
        for (var attempt = 1; attempt < sums.Length; attempt++)
        {
            Assert.True(sums[attempt] > sums[attempt - 1] * 1.2, $"mean delay of attempt {attempt} ({sums[attempt] / Seeds:F0} ms) did not grow from {sums[attempt - 1] / Seeds:F0} ms");
        }

        // Each step multiplies the delay by 1.5 on average but by only about 1.1 in the median (the draw is uniform
        // up to 3x), so 100 ms to 30 s takes some 60 attempts typically; 400 leaves room for the unlucky seeds.
        Assert.Equal(Seeds, reachedCap);
    }

    [Fact]
    public void The_same_seed_gives_the_same_delays()
    {
        static List<TimeSpan> Sequence(int seed)
        {
            var random = new Random(seed);
            var delays = new List<TimeSpan>();
            var delay = TimeSpan.Zero;
            for (var i = 0; i < 10; i++)
            {
                delay = StepPolicy.Default.NextDelay(delay, random);
                delays.Add(delay);
            }

            return delays;
        }

        Assert.Equal(Sequence(7), Sequence(7));
        Assert.NotEqual(Sequence(7), Sequence(8));
    }

    [Fact]
    public void A_policy_whose_base_equals_its_cap_always_waits_that_long()
    {
        var fixedDelay = new StepPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(1) };
        var random = new Random(1);

        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(TimeSpan.FromSeconds(1), fixedDelay.NextDelay(TimeSpan.FromSeconds(1), random)));
    }

    [Fact]
    public void Invalid_values_are_refused_even_through_with()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepPolicy(MaxAttempts: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepPolicy(Timeout: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepPolicy.Default with { MaxAttempts = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => StepPolicy.Default with { BaseDelay = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => StepPolicy.Default with { MaxDelay = TimeSpan.FromSeconds(-1) });
        Assert.Equal(1, (StepPolicy.Default with { MaxAttempts = 1 }).MaxAttempts);
    }

    [Fact]
    public void Policies_with_the_same_values_are_equal()
    {
        Assert.Equal(new StepPolicy(), StepPolicy.Default);
        Assert.Equal(new StepPolicy(5) { BaseDelay = TimeSpan.FromSeconds(1) }, new StepPolicy(5) { BaseDelay = TimeSpan.FromSeconds(1) });
        Assert.NotEqual(new StepPolicy(5), StepPolicy.Default);
    }
}
