namespace Soma.Memory.Vectors;

/// <summary>How far a reindex is.</summary>
/// <param name="Model">The model being filled in.</param>
/// <param name="Tenant">The tenant, or null for all.</param>
/// <param name="Total">Memories in all.</param>
/// <param name="Current">Memories with a current vector of the model.</param>
/// <param name="Embedded">Memories embedded by this run.</param>
/// <param name="Failed">Memories this run could not embed (left for a later run).</param>
/// <param name="Done">True on the last report.</param>
/// <param name="Error">The last embedding error, if any.</param>
public sealed record ReindexProgress(string Model, string? Tenant, long Total, long Current, long Embedded, long Failed, bool Done, string? Error);
