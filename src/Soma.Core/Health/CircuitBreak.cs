namespace Soma.Core.Health;

/// <summary>
/// The current break of a circuit breaker, as health reports and metrics read it. Polly (v8) moves an open breaker to
/// half-open only when the next call arrives, so a component whose callers wait while it reads open (or that simply gets
/// no traffic) would read open for good after it recovered: its reporter asks <see cref="RanOut"/> and says half-open.
/// </summary>
/// <param name="time">The clock the breaker's own pipeline uses.</param>
public sealed class CircuitBreak(TimeProvider time)
{
    // When the current break runs out (UTC ticks); never before the breaker first opens.
    private long _endsTicks = long.MaxValue;

    /// <summary>Notes a break of <paramref name="duration"/> starting now (call it from the breaker's <c>OnOpened</c>).</summary>
    /// <param name="duration">The break's length, as the breaker reports it.</param>
    public void Opened(TimeSpan duration) => Interlocked.Exchange(ref _endsTicks, (time.GetUtcNow() + duration).UtcTicks);

    /// <summary>Whether the last break noted has run out (the breaker's next call would be its trial).</summary>
    public bool RanOut => time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _endsTicks);
}
