namespace Soma.Policy.Rego.Compilation;

/// <summary>Per rule (or query) compilation state: frame slots and what the rule depends on.</summary>
internal sealed class RuleContext(ModuleContext module)
{
    public ModuleContext Module { get; } = module;

    public List<string> SlotNames { get; } = [];

    public HashSet<DataNode> Dependencies { get; } = [];

    public int NewSlot(string name)
    {
        SlotNames.Add(name);
        return SlotNames.Count - 1;
    }
}
