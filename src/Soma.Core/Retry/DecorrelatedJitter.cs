namespace Soma.Core.Retry;

/// <summary>
/// Decorrelated-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"):
/// <c>min(max, random_between(base, previous * 3))</c>, always within [base, max].
/// </summary>
public static class DecorrelatedJitter
{
    /// <summary>The delay before the next retry.</summary>
    /// <param name="previousDelay">The delay before the previous retry; <see cref="TimeSpan.Zero"/> before the first.</param>
    /// <param name="baseDelay">The shortest delay.</param>
    /// <param name="maxDelay">The longest delay.</param>
    /// <param name="random">The random source (a seeded one makes a replay compute the same delays).</param>
    public static TimeSpan Next(TimeSpan previousDelay, TimeSpan baseDelay, TimeSpan maxDelay, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var floor = baseDelay.Ticks;
        var cap = Math.Max(maxDelay.Ticks, floor);

        // Clamping first keeps previous * 3 far from overflow and treats "no previous delay" as the base.
        var previous = Math.Clamp(previousDelay.Ticks, floor, cap);
        var ceiling = previous * 3;
        var drawn = ceiling > floor ? random.NextInt64(floor, ceiling + 1) : floor;
        return TimeSpan.FromTicks(Math.Min(cap, drawn));
    }
}
