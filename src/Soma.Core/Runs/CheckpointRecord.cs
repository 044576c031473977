namespace Soma.Core.Runs;

/// <summary>One committed checkpoint of a run: the whole execution state at that version.</summary>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="RunId">The run.</param>
/// <param name="Version">The checkpoint version, from 1, contiguous per run.</param>
/// <param name="FormatVersion">The version of the checkpoint format <paramref name="State"/> is written in.</param>
/// <param name="State">The serialized state (JSON).</param>
/// <param name="CreatedAt">When it was committed.</param>
public sealed record CheckpointRecord(string TenantId, Guid RunId, long Version, int FormatVersion, string State, DateTimeOffset CreatedAt);
