namespace Soma.Core.Runs;

/// <summary>Where a workflow run is in its life.</summary>
public enum RunState
{
    /// <summary>Committed, not yet picked up by a worker.</summary>
    Accepted = 0,

    /// <summary>A worker executes (or will resume) it.</summary>
    Running = 1,

    /// <summary>Waiting for external input, e.g. an approval.</summary>
    Waiting = 2,

    /// <summary>Finished with an output.</summary>
    Succeeded = 3,

    /// <summary>Finished with an error; can be resumed from its last checkpoint.</summary>
    Failed = 4,

    /// <summary>Stopped on request.</summary>
    Cancelled = 5,
}
