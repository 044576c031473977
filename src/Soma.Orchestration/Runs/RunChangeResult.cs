using Soma.Core.Runs;

namespace Soma.Orchestration.Runs;

/// <summary>The outcome of resuming or cancelling a run.</summary>
/// <param name="Run">The changed run, when it changed.</param>
/// <param name="Found">False when the run does not exist for the tenant.</param>
/// <param name="ConflictMessage">Why the run could not change, when it could not.</param>
public sealed record RunChangeResult(RunRecord? Run, bool Found, string? ConflictMessage)
{
    /// <summary>No such run for this tenant.</summary>
    public static RunChangeResult NotFound { get; } = new(null, false, null);

    /// <summary>The run changed.</summary>
    public static RunChangeResult Changed(RunRecord run) => new(run, true, null);

    /// <summary>The run is in a state that does not allow the change.</summary>
    public static RunChangeResult Conflict(string message) => new(null, true, message);
}
