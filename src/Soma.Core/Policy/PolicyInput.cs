using System.Text.Json;

namespace Soma.Core.Policy;

/// <summary>
/// The input document of a decision (docs/policy.md, "The decision contract"): who asks, for which tool and
/// arguments, in which session/run/step, at what time. Serialized with snake_case names as the policy sees it.
/// </summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="Subject">The caller (token subject).</param>
/// <param name="Roles">The caller's roles.</param>
/// <param name="Tool">The tool asked for.</param>
/// <param name="Session">The session id, when in a conversation.</param>
/// <param name="Run">The run id, when in a run.</param>
/// <param name="Step">The workflow step, when in a run.</param>
/// <param name="Now">The decision time.</param>
public sealed record PolicyInput(
    string Tenant,
    string Subject,
    IReadOnlyList<string> Roles,
    PolicyToolInput Tool,
    string? Session,
    string? Run,
    string? Step,
    DateTimeOffset Now)
{
    /// <summary>The query whose value is the decision; the default is the tool decision.</summary>
    public string Query { get; init; } = PolicyQueries.ToolDecision;
}

/// <summary>The tool part of a decision's input.</summary>
/// <param name="Name">The tool's registered name.</param>
/// <param name="Arguments">The arguments the model gave (a JSON object).</param>
/// <param name="Risk">The tool's declared risk (<c>low</c>, <c>medium</c>, <c>high</c>).</param>
/// <param name="Sandbox">Whether the tool runs in a sandbox.</param>
public sealed record PolicyToolInput(string Name, JsonElement Arguments, string Risk, bool Sandbox);

/// <summary>Well-known queries.</summary>
public static class PolicyQueries
{
    /// <summary>The tool decision: <c>data.soma.tools.decision</c> → <c>{allow, reasons}</c>.</summary>
    public const string ToolDecision = "data.soma.tools.decision";
}
