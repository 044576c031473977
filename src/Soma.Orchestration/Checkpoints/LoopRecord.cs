namespace Soma.Orchestration.Checkpoints;

/// <summary>A bounded loop's progress in a checkpoint.</summary>
/// <param name="Iteration">The iteration in progress (or the last one, when completed), from 0.</param>
/// <param name="Completed">Whether the loop has finished.</param>
public sealed record LoopRecord(int Iteration, bool Completed);
