using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Syntax;

/// <summary>A reference: a head term followed by keys, e.g. <c>input.user.roles[i]</c>.</summary>
internal sealed class RefTerm(SourceLocation location, Term head, IReadOnlyList<RefPart> parts) : Term(location)
{
    public Term Head { get; } = head;

    public IReadOnlyList<RefPart> Parts { get; } = parts;

    /// <summary>For references into <c>data</c>: the rule-tree node reached by the leading constant keys.</summary>
    internal DataNode? Node { get; set; }

    /// <summary>How many of <see cref="Parts"/> the <see cref="Node"/> consumed.</summary>
    internal int NodeParts { get; set; }

    /// <summary>
    /// For references into <c>input</c>: the path its leading constant keys name (<c>input.tool.name</c> →
    /// <c>["tool", "name"]</c>), the part of the input the reference reads (see <see cref="Evaluation.InputReads"/>).
    /// </summary>
    internal Value[]? InputPath { get; set; }
}
