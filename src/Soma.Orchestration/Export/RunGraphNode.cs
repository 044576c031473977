using System.Text.Json.Serialization;

namespace Soma.Orchestration.Export;

/// <summary>A node of a run graph.</summary>
/// <param name="Id">The step or loop id.</param>
/// <param name="Kind"><c>step</c> or <c>loop</c>.</param>
/// <param name="Status">pending, succeeded, skipped, retrying, waiting, failed (steps) or pending, running, succeeded (loops).</param>
/// <param name="Attempts">Attempts made (steps) or the current iteration (loops).</param>
/// <param name="DurationMs">How long the last attempt took.</param>
/// <param name="StartedAt">When the last attempt started.</param>
/// <param name="EndedAt">When it ended.</param>
public sealed record RunGraphNode(
    string Id,
    string Kind,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Attempts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? DurationMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? StartedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? EndedAt);
