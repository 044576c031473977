namespace Soma.Gateway.Policy;

/// <summary>One policy decision on a tool call, as <c>GET /v1/policy/decisions</c> shows it (from its audit-log row).</summary>
/// <param name="Id">The audit record's id.</param>
/// <param name="Time">When the decision was made.</param>
/// <param name="Actor">Who asked: <c>user:{sub}</c>, or <c>run:{id}</c> for a run without a user.</param>
/// <param name="Tool">The tool's name.</param>
/// <param name="Decision"><c>allow</c> or <c>deny</c>.</param>
/// <param name="Reasons">Why, one entry per reason the policy gave (empty when it gave none).</param>
/// <param name="PolicyVersion">The version (hash) of the policy that decided; <c>none</c> when no policy was loaded.</param>
/// <param name="Engine">The engine that decided (<c>rego</c>, <c>opa</c>), or null when not recorded.</param>
/// <param name="DurationMs">How long the decision took, or null when not recorded.</param>
/// <param name="ToolCallId">The model's id of the tool call, or null.</param>
/// <param name="SessionId">The session of the turn, or null.</param>
/// <param name="RunId">The run of the turn, or null.</param>
internal sealed record PolicyDecisionItem(
    Guid Id,
    DateTimeOffset Time,
    string Actor,
    string Tool,
    string Decision,
    IReadOnlyList<string> Reasons,
    string? PolicyVersion,
    string? Engine,
    double? DurationMs,
    string? ToolCallId,
    Guid? SessionId,
    Guid? RunId);
