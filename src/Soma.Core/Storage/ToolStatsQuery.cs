namespace Soma.Core.Storage;

/// <summary>
/// Which calls the tool statistics count: those in the half-open window [<see cref="From"/>, <see cref="To"/>), cut
/// into <see cref="Buckets"/> equal buckets for the time series.
/// </summary>
/// <param name="From">The window's start (inclusive).</param>
/// <param name="To">The window's end (exclusive); after <paramref name="From"/>.</param>
/// <param name="Buckets">How many buckets the window is cut into (1 to <see cref="MaxBuckets"/>); the window's length must be a whole number of milliseconds per bucket.</param>
/// <param name="Tool">Only this tool (exact name), or null for every tool.</param>
public sealed record ToolStatsQuery(DateTimeOffset From, DateTimeOffset To, int Buckets, string? Tool = null)
{
    /// <summary>The most buckets a series has.</summary>
    public const int MaxBuckets = 200;

    /// <summary>How long one bucket is.</summary>
    public TimeSpan BucketWidth => (To - From) / Buckets;

    /// <summary>Throws when the window or the bucket count is not usable (the endpoint checks its input before).</summary>
    public void Validate()
    {
        if (To <= From)
        {
            throw new ArgumentException("The window must end after it starts.", nameof(To));
        }

        if (Buckets is < 1 or > MaxBuckets)
        {
            throw new ArgumentOutOfRangeException(nameof(Buckets), Buckets, $"A series has 1 to {MaxBuckets} buckets.");
        }

        if ((To - From).Ticks % (Buckets * TimeSpan.TicksPerMillisecond) != 0)
        {
            throw new ArgumentException("The window must be a whole number of milliseconds per bucket.", nameof(Buckets));
        }
    }
}
