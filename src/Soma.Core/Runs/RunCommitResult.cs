namespace Soma.Core.Runs;

/// <summary>The outcome of a <see cref="RunCommit"/>.</summary>
/// <param name="Committed">False when the run was no longer at the expected version or the writer had lost its lease.</param>
/// <param name="Version">The run version after the commit (the current one when refused).</param>
/// <param name="CheckpointVersion">The checkpoint version after the commit (the current one when refused).</param>
public sealed record RunCommitResult(bool Committed, long Version, long CheckpointVersion)
{
    /// <summary>A refused commit: the run is gone, stale or leased to someone else.</summary>
    public static RunCommitResult Refused { get; } = new(false, -1, -1);
}
