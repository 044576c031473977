using Microsoft.Extensions.Options;

namespace Soma.Tools.Registry;

/// <summary>Decides whether a tool call may run: the allow-list of <see cref="ToolOptions"/>, deny by default.</summary>
public sealed class ToolAuthorizer(IOptionsMonitor<ToolOptions> options, ToolRegistry registry)
{
    /// <summary>The revision named in audit records and events for decisions made by the allow-list.</summary>
    public const string PolicyRevision = "allow-list";

    /// <summary>Whether <paramref name="tool"/> may run for <paramref name="tenantId"/>, and why.</summary>
    public ToolDecision Decide(string tenantId, string tool)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        if (!registry.TryGet(tool, out _))
        {
            return new ToolDecision(false, $"No tool is registered as '{tool}'.");
        }

        var allow = options.CurrentValue.Allow;
        return allow.Contains("*", StringComparer.Ordinal) || allow.Contains(tool, StringComparer.Ordinal)
            ? new ToolDecision(true, "Listed in Soma:Tools:Allow.")
            : new ToolDecision(false, $"Tool '{tool}' is not in Soma:Tools:Allow (tools are denied by default).");
    }
}

/// <summary>An authorization decision.</summary>
/// <param name="Allowed">Whether the call may run.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record ToolDecision(bool Allowed, string Reason);
