namespace Soma.Core.Runs;

/// <summary>Filters for listing runs.</summary>
/// <param name="State">Only runs in this state.</param>
/// <param name="Workflow">Only runs of this workflow.</param>
public sealed record RunQuery(RunState? State = null, string? Workflow = null);
