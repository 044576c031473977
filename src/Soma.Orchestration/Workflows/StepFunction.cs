namespace Soma.Orchestration.Workflows;

/// <summary>
/// A step's work. It must be deterministic: time comes from <see cref="StepContext.Now"/> and randomness from
/// <see cref="StepContext.Random"/>, never from the machine, so a replayed run takes the same path.
/// </summary>
/// <param name="context">What the step may read: the run input, its dependencies' outputs, the clock and random source.</param>
/// <param name="cancellationToken">Cancelled when the run is cancelled, the step times out or the worker loses its lease.</param>
/// <returns>The outcome: succeeded with an output, waiting for external input, or failed.</returns>
public delegate ValueTask<StepOutcome> StepFunction(StepContext context, CancellationToken cancellationToken);
