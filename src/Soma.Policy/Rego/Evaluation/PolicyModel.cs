using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

/// <summary>The compiled, read-only policy an evaluator runs against: the rule tree and the base document.</summary>
internal sealed class PolicyModel(DataNode root, int nodeCount, Value data)
{
    public DataNode Root { get; } = root;

    public int NodeCount { get; } = nodeCount;

    public Value Data { get; } = data;
}
