using Soma.Policy.Rego.Syntax;

namespace Soma.Policy.Rego.Compilation;

/// <summary>A compiled rule: where it lives, what it contributes, its branches, and its frame size.</summary>
internal sealed class RuleDefinition(Rule rule, RuleKind kind, DataNode node, string file)
{
    public Rule Rule { get; } = rule;

    public RuleKind Kind { get; } = kind;

    public DataNode Node { get; } = node;

    public string File { get; } = file;

    public SourceLocation Location => Rule.Location;

    /// <summary>The element of a set rule.</summary>
    public Term? SetKey { get; init; }

    /// <summary>For dynamic rules: the head's keys below <see cref="Node"/>.</summary>
    public IReadOnlyList<Term> DynamicKeys { get; init; } = [];

    /// <summary>For dynamic rules: whether the leaf is a set (<c>p[x] contains y</c>).</summary>
    public bool SetLeaf { get; init; }

    public IReadOnlyList<Term> Parameters { get; init; } = [];

    public List<RuleBranch> Branches { get; } = [];

    public int SlotCount { get; set; }

    public Module Module { get; init; } = null!;
}
