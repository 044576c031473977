using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Compilation;

/// <summary>
/// A node of the rule tree: one per package and rule path (<c>data.soma.tools.decision</c>). Rules are indexed here
/// at compile time so a reference resolves to its node once, and evaluation caches each node's value by <see cref="Id"/>.
/// </summary>
internal sealed class DataNode(int id, Value key, DataNode? parent)
{
    public int Id { get; } = id;

    public Value Key { get; } = key;

    public DataNode? Parent { get; } = parent;

    public Value[] Path { get; } = parent is null ? [] : [.. parent.Path, key];

    public Dictionary<Value, DataNode> Children { get; } = [];

    /// <summary>Complete rules (and zero-parameter functions) defining this node's value.</summary>
    public List<RuleDefinition> Complete { get; } = [];

    /// <summary>Partial set rules (<c>p contains x</c>).</summary>
    public List<RuleDefinition> Sets { get; } = [];

    /// <summary>Rules whose heads continue below this node with variable keys (<c>p[k] := v</c>, <c>p[a][b] := 1</c>).</summary>
    public List<RuleDefinition> Dynamic { get; } = [];

    /// <summary>Functions defined at this node.</summary>
    public List<RuleDefinition> Functions { get; } = [];

    public RuleDefinition? Default { get; set; }

    /// <summary>Whether a module declares this package (its value is an object even without defined rules).</summary>
    public bool IsPackage { get; set; }

    public RuleDefinition? DefaultFunction { get; set; }

    public bool HasValueRules => Complete.Count > 0 || Sets.Count > 0 || Dynamic.Count > 0 || Default is not null;

    public bool IsFunction => Functions.Count > 0 || DefaultFunction is not null;

    public bool HasRules => HasValueRules || IsFunction;

    public string Name => string.Join('.', Path.Select(k => k is StringValue s ? s.Value : k.ToString()));

    public DataNode? Child(Value key)
    {
        if (Children.TryGetValue(key, out var child))
        {
            return child;
        }

        return key is NumberValue && Children.TryGetValue(Value.String(key.ToString()), out child) ? child : null;
    }

    public IEnumerable<DataNode> Descendants()
    {
        yield return this;
        foreach (var child in Children.Values)
        {
            foreach (var node in child.Descendants())
            {
                yield return node;
            }
        }
    }
}
