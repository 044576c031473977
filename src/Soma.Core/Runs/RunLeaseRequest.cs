namespace Soma.Core.Runs;

/// <summary>A worker asking for runnable runs to execute.</summary>
/// <param name="Owner">The worker's id.</param>
/// <param name="MaxRuns">At most this many runs.</param>
/// <param name="Duration">How long the leases last unless renewed.</param>
public sealed record RunLeaseRequest(string Owner, int MaxRuns, TimeSpan Duration)
{
    /// <summary>Throws for a request no store can serve.</summary>
    /// <exception cref="ArgumentException">The request is not valid.</exception>
    public void EnsureValid()
    {
        ArgumentException.ThrowIfNullOrEmpty(Owner);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRuns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Duration, TimeSpan.Zero);
    }
}
