namespace Soma.Orchestration.Workflows;

/// <summary>How a step is retried and how long an attempt may take.</summary>
/// <param name="MaxAttempts">Attempts in all, the first included (at least 1; 1 means no retry).</param>
/// <param name="Timeout">How long one attempt may run before it is cancelled and counts as a retryable failure; null for no limit.</param>
public sealed record StepPolicy(int MaxAttempts = 3, TimeSpan? Timeout = null)
{
    private readonly int _maxAttempts = CheckAttempts(MaxAttempts);
    private readonly TimeSpan? _timeout = CheckTimeout(Timeout);
    private readonly TimeSpan _baseDelay = TimeSpan.FromMilliseconds(100);
    private readonly TimeSpan _maxDelay = TimeSpan.FromSeconds(30);

    /// <summary>The default: 3 attempts, no timeout, retry delays between 100 ms and 30 s.</summary>
    public static StepPolicy Default { get; } = new();

    /// <summary>Attempts in all, the first included (at least 1; 1 means no retry).</summary>
    public int MaxAttempts
    {
        get => _maxAttempts;
        init => _maxAttempts = CheckAttempts(value);
    }

    /// <summary>How long one attempt may run; null for no limit. Positive when set.</summary>
    public TimeSpan? Timeout
    {
        get => _timeout;
        init => _timeout = CheckTimeout(value);
    }

    /// <summary>The shortest delay before a retry (default 100 ms). Positive.</summary>
    public TimeSpan BaseDelay
    {
        get => _baseDelay;
        init => _baseDelay = CheckDelay(value);
    }

    /// <summary>The longest delay before a retry (default 30 s); a workflow is refused when it is below <see cref="BaseDelay"/>.</summary>
    public TimeSpan MaxDelay
    {
        get => _maxDelay;
        init => _maxDelay = CheckDelay(value);
    }

    /// <summary>
    /// The delay before the next retry: decorrelated-jitter exponential backoff,
    /// <c>min(MaxDelay, random_between(BaseDelay, previousDelay * 3))</c> (AWS Architecture Blog, "Exponential Backoff
    /// And Jitter"). The result is always within [<see cref="BaseDelay"/>, <see cref="MaxDelay"/>].
    /// </summary>
    /// <param name="previousDelay">The delay before the previous retry; <see cref="TimeSpan.Zero"/> before the first.</param>
    /// <param name="random">The random source; the run context's, so that a replay computes the same delays.</param>
    public TimeSpan NextDelay(TimeSpan previousDelay, Random random) => Core.Retry.DecorrelatedJitter.Next(previousDelay, BaseDelay, MaxDelay, random);

    private static int CheckAttempts(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxAttempts));
        return value;
    }

    private static TimeSpan? CheckTimeout(TimeSpan? value)
    {
        if (value is { } timeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(Timeout));
        }

        return value;
    }

    private static TimeSpan CheckDelay(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero, "delay");
        return value;
    }
}
