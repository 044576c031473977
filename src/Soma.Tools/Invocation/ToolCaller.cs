namespace Soma.Tools.Invocation;

/// <summary>Who asks for a tool: the tenant, the token's subject and its roles (what the policy decides on).</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="Subject">The token subject (<c>sub</c>).</param>
/// <param name="Roles">The token's roles.</param>
public sealed record ToolCaller(string TenantId, string Subject, IReadOnlyList<string> Roles);
