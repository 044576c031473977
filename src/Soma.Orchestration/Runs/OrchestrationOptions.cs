using System.ComponentModel.DataAnnotations;

namespace Soma.Orchestration.Runs;

/// <summary>Settings of the workflow runner (section <c>Soma:Orchestration</c>).</summary>
public sealed class OrchestrationOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Soma:Orchestration";

    /// <summary>Runs one worker process executes at once. Default 32.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentRuns { get; set; } = 32;

    /// <summary>How long a worker's lease on a run lasts unless renewed, in seconds. Default 30.</summary>
    [Range(2, 3600)]
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>How often an idle worker looks for runnable runs, in milliseconds. Default 200.</summary>
    [Range(10, 60_000)]
    public int PollMilliseconds { get; set; } = 200;

    /// <summary>Checkpoints kept per ended run; older versions are pruned. Default 20.</summary>
    [Range(1, 1_000_000)]
    public int CheckpointKeepLast { get; set; } = 20;

    /// <summary>Hours after a run ended when all but its newest checkpoint are pruned. Default 168 (a week).</summary>
    [Range(0, 876_000)]
    public int CheckpointRetentionHours { get; set; } = 168;

    /// <summary>How often the worker prunes checkpoints, in seconds. Default 300.</summary>
    [Range(1, 86_400)]
    public int PruneIntervalSeconds { get; set; } = 300;
}
