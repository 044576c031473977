namespace Soma.Core.Outbox;

/// <summary>Which outbox rows one relay loop delivers, and how it treats refusals.</summary>
/// <param name="Name">For logs and lease owners: <c>events</c>, <c>memory</c>.</param>
/// <param name="Topics">The topics it claims.</param>
/// <param name="Lease">How long claimed rows stay reserved for one claimer.</param>
/// <param name="BackoffBase">The first wait after a refusal or a failed pass.</param>
/// <param name="BackoffMax">The longest wait.</param>
public sealed record OutboxRoute(string Name, IReadOnlyCollection<string> Topics, TimeSpan Lease, TimeSpan BackoffBase, TimeSpan BackoffMax)
{
    /// <summary>Claim a partition's rows only in order (see <see cref="Storage.OutboxClaimRequest.InPartitionOrder"/>). Default true.</summary>
    public bool InPartitionOrder { get; init; } = true;

    /// <summary>The wait after the <paramref name="attempt"/>-th failure in a row: decorrelated jitter from base × 2^(attempt − 1), capped.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var previous = TimeSpan.FromMilliseconds(Math.Min(BackoffMax.TotalMilliseconds, BackoffBase.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30))));
#pragma warning disable RS0030 // Jitter spreads many workers' retries: unseeded on purpose (its bounds are tested with a seeded Random).
        return Retry.DecorrelatedJitter.Next(previous, BackoffBase, BackoffMax, Random.Shared);
#pragma warning restore RS0030
    }
}
