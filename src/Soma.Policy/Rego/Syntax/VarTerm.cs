using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Syntax;

/// <summary>A variable, or a name that the compiler resolves to a rule, an import, <c>data</c> or <c>input</c>.</summary>
internal sealed class VarTerm(SourceLocation location, string name) : Term(location)
{
    public string Name { get; } = name;

    public bool IsWildcard => Name == "_";

    internal VarKind Kind { get; set; }

    /// <summary>The frame slot of a local.</summary>
    internal int Slot { get; set; } = -1;

    /// <summary>For names bound to <c>data</c> or <c>input</c> documents: the path below the root.</summary>
    internal Value[] Path { get; set; } = [];

    /// <summary>For data names: the deepest rule-tree node the path reaches, and how many path keys that used.</summary>
    internal DataNode? Node { get; set; }

    internal int NodeDepth { get; set; }
}
