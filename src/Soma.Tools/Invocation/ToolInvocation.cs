using Soma.Core.Policy;
using Soma.Tools.Registry;

namespace Soma.Tools.Invocation;

/// <summary>What became of a tool call: the policy's decision and, when allowed, what the tool returned.</summary>
/// <param name="Request">The call.</param>
/// <param name="Decision">The policy decision (a deny carries its reasons); for arguments that do not suit the tool's schema, a deny by engine <c>schema</c> (the policy was not asked).</param>
/// <param name="Result">The tool's result; for a denied call, a <c>tool.denied</c> failure naming the reasons.</param>
/// <param name="DurationMs">How long the tool ran (0 when denied).</param>
/// <param name="ArgumentsHash">SHA-256 (hex) of the arguments as given, for the audit log (arguments themselves are not audited).</param>
public sealed record ToolInvocation(ToolCallRequest Request, PolicyDecision Decision, ToolResult Result, double DurationMs, string ArgumentsHash)
{
    /// <summary>Whether the tool ran.</summary>
    public bool Ran => Decision.Allow;

    /// <summary>The tool's declared risk as the policy saw it.</summary>
    public string Risk { get; init; } = "low";

    /// <summary>Whether the tool runs in a sandbox, as the policy saw it.</summary>
    public bool Sandboxed { get; init; }

    /// <summary>The query that decided.</summary>
    public string Query { get; init; } = Soma.Core.Policy.PolicyQueries.ToolDecision;
}
