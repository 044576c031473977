namespace Soma.Core.Runs;

/// <summary>The content of a checkpoint to write.</summary>
/// <param name="FormatVersion">The checkpoint format version.</param>
/// <param name="State">The serialized state (JSON).</param>
public sealed record CheckpointData(int FormatVersion, string State);
