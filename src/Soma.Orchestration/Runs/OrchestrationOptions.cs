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
}
