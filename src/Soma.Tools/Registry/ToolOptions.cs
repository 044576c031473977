namespace Soma.Tools.Registry;

/// <summary>
/// <c>Soma:Tools</c>: which tools may run. Until the policy engine arrives this allow-list is the policy: a tool not
/// listed is denied (deny by default), and every decision is written to the audit log.
/// </summary>
public sealed class ToolOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Tools";

    /// <summary>Tool names that may run; <c>*</c> allows every registered tool. Empty by default: nothing runs.</summary>
    public IList<string> Allow { get; } = [];
}
