using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

internal sealed partial class Evaluator
{
    /// <summary>Evaluates a query, recording each expression's value (by written position) for results without
    /// variables (<c>true; [1, 2][_]</c> gives <c>[true, 1]</c>, <c>[true, 2]</c>).</summary>
    public bool EvalCapturing(Query query, Value?[] frame, Value?[] captured, Func<bool> next) =>
        EvalCapturing(query, query.Ordered, 0, frame, captured, next);

    private bool EvalCapturing(Query query, Literal[] ordered, int index, Value?[] frame, Value?[] captured, Func<bool> next)
    {
        if (index == ordered.Length)
        {
            return next();
        }

        var literal = ordered[index];
        var position = IndexOf(query.Literals, literal);
        if (literal is ExpressionLiteral { Negated: false, Expression: var e } && e is not BinaryTerm { Operator: BinaryOperator.Unify or BinaryOperator.Assign })
        {
            // A lone expression's value is the result even when false (`data.p.allow with input as {}`).
            var keepFalse = query.Literals.Count == 1;
            bool Capture(Func<bool> k) => EvalTerm(e, frame, value =>
            {
                if (IsFalse(value) && !keepFalse)
                {
                    return true;
                }

                captured[position] = value;
                return k();
            });
            Func<bool> rest = () => EvalCapturing(query, ordered, index + 1, frame, captured, next);
            return literal.With.Count > 0 ? EvalWith(literal, frame, rest, Capture) : Capture(rest);
        }

        return EvalLiteral(literal, frame, () =>
        {
            captured[position] = Value.True;
            return EvalCapturing(query, ordered, index + 1, frame, captured, next);
        });
    }

    private static int IndexOf(IReadOnlyList<Literal> literals, Literal literal)
    {
        for (var i = 0; i < literals.Count; i++)
        {
            if (ReferenceEquals(literals[i], literal))
            {
                return i;
            }
        }

        return 0;
    }
}
