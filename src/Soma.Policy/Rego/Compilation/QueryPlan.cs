using Soma.Policy.Rego.Syntax;

namespace Soma.Policy.Rego.Compilation;

/// <summary>A compiled query: its frame size and the variables whose bindings are its result.</summary>
internal sealed record QueryPlan(Query Query, int SlotCount, IReadOnlyList<(string Name, int Slot)> Bindings)
{
    /// <summary>A lone expression (not an assignment): its values are the results, <c>false</c> included.</summary>
    public bool IsSingleTerm => Query.Literals is [ExpressionLiteral { Negated: false, With.Count: 0, Expression: not BinaryTerm { Operator: BinaryOperator.Unify or BinaryOperator.Assign } }];
}
