namespace Soma.Orchestration.Workflows;

/// <summary>When a run's step results reach the store.</summary>
public enum DurabilityMode
{
    /// <summary>Every step result is committed (one checkpoint) before the steps that depend on it start.</summary>
    PerStep,

    /// <summary>
    /// Results of pure steps stay in memory and are committed together: before a side-effecting step starts, at a wait,
    /// a retry, a failure, a loop boundary and the run's end, and once <see cref="WorkflowDurability.MaxResults"/> results
    /// or <see cref="WorkflowDurability.MaxDelay"/> have accumulated. After a crash the pure steps since the last commit
    /// run again; a side-effecting step never does, because its inputs were committed before it started.
    /// </summary>
    Batched,
}

/// <summary>A workflow's durability mode and, for <see cref="DurabilityMode.Batched"/>, how much may wait for a commit.</summary>
public sealed record WorkflowDurability
{
    private WorkflowDurability(DurabilityMode mode, int maxResults, TimeSpan maxDelay)
    {
        Mode = mode;
        MaxResults = maxResults;
        MaxDelay = maxDelay;
    }

    /// <summary>Every step result committed before its dependents start (the default).</summary>
    public static WorkflowDurability PerStep { get; } = new(DurabilityMode.PerStep, 1, TimeSpan.Zero);

    /// <summary>The mode.</summary>
    public DurabilityMode Mode { get; }

    /// <summary>The most pure-step results kept in memory before they are committed (1 to 10,000).</summary>
    public int MaxResults { get; }

    /// <summary>The longest the first uncommitted result waits for its commit (0 to 60 s): the most pure work a crash can cost.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>Pure-step results committed together (see <see cref="DurabilityMode.Batched"/>).</summary>
    /// <param name="maxResults">The most results kept in memory, 1 to 10,000 (default 100).</param>
    /// <param name="maxDelay">The longest the first of them waits, 0 to 60 s (default 1 s).</param>
    public static WorkflowDurability Batched(int maxResults = 100, TimeSpan? maxDelay = null) =>
        new(DurabilityMode.Batched, maxResults, maxDelay ?? TimeSpan.FromSeconds(1));

    /// <summary>What is wrong with the settings, or null.</summary>
    internal string? Problem() =>
        MaxResults is < 1 or > 10_000 ? $"Its batched durability keeps {MaxResults} results; it must keep 1 to 10000."
        : MaxDelay < TimeSpan.Zero || MaxDelay > TimeSpan.FromSeconds(60) ? $"Its batched durability waits {MaxDelay}; it must wait 0 to 60 s."
        : null;

    /// <inheritdoc />
    public override string ToString() => Mode == DurabilityMode.PerStep ? "per-step" : $"batched (up to {MaxResults} results or {MaxDelay.TotalMilliseconds:0} ms)";
}
