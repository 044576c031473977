namespace Soma.Tools.Registry;

/// <summary>
/// <c>Soma:Tools</c>. The allow-list that was the policy before the policy engine (<c>Soma:Tools:Allow</c>) is no longer
/// read: tools are granted to roles in <c>conf/roles.yaml</c> and decided by the policy (docs/policy.md). A
/// configuration that still sets it stops the start naming the key, so a deployment never silently loses its grants.
/// </summary>
public sealed class ToolOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Tools";

    /// <summary>Replaced by <c>conf/roles.yaml</c>; must be empty.</summary>
    public IList<string> Allow { get; } = [];
}
