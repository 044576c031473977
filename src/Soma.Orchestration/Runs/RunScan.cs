using Soma.Orchestration.Checkpoints;

namespace Soma.Orchestration.Runs;

/// <summary>What one scan of a run's checkpoint found (<see cref="RunScanner.Scan"/>).</summary>
internal sealed class RunScan(RunCheckpoint state)
{
    /// <summary>The checkpoint with the scan's bookkeeping (skipped steps, loop progress); the scanned one if none.</summary>
    public RunCheckpoint Bookkeeping { get; set; } = state;

    /// <summary>Whether the bookkeeping skips a step (the commit then announces the checkpoint).</summary>
    public bool AnySkipped { get; set; }

    /// <summary>The steps whose dependencies are done and which may start now, in dependency order.</summary>
    public List<StepWork> Ready { get; } = [];

    /// <summary>Whether every step and loop is done.</summary>
    public bool AllDone { get; set; } = true;

    /// <summary>The key of the first step that failed for good.</summary>
    public string? Failed { get; set; }

    /// <summary>What the first waiting step waits for.</summary>
    public string? Waiting { get; set; }

    /// <summary>When the earliest step in backoff may be tried again.</summary>
    public DateTimeOffset? NextWake { get; set; }
}
