namespace Soma.Orchestration.Checkpoints;

/// <summary>Where a step is, as recorded in a checkpoint.</summary>
public enum StepStatus
{
    /// <summary>Finished with an output.</summary>
    Succeeded,

    /// <summary>Not run: its condition was false.</summary>
    Skipped,

    /// <summary>An attempt failed; the next one is due at <see cref="StepRecord.NextAttemptAt"/>.</summary>
    Retrying,

    /// <summary>Waiting for external input.</summary>
    Waiting,

    /// <summary>Failed for good.</summary>
    Failed,
}
