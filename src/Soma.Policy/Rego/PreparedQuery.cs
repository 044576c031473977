using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Evaluation;
using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego;

/// <summary>A query compiled against a policy; evaluate it many times, from many threads.</summary>
public sealed class PreparedQuery
{
    private readonly CompiledPolicy _policy;
    private readonly QueryPlan _plan;

    internal PreparedQuery(CompiledPolicy policy, QueryPlan plan)
    {
        _policy = policy;
        _plan = plan;
    }

    /// <summary>The first result (see <see cref="CompiledPolicy.Evaluate"/>), or C# null when undefined.</summary>
    public Value? Evaluate(Value? input = null, EvaluationOptions? options = null)
    {
        if (_plan.IsSingleTerm)
        {
            // A reference such as data.p.decision: its value straight away, with no result list or continuation.
            var evaluator = new Evaluator(_policy.Model, input, options);
            try
            {
                var frame = _plan.SlotCount == 0 ? [] : new Value?[_plan.SlotCount];
                var term = ((ExpressionLiteral)_plan.Query.Literals[0]).Expression;
                if (evaluator.TrySingleValue(term, frame, out var value))
                {
                    evaluator.Release();
                    return value;
                }

                // The general path, on the same evaluator: what the attempt computed stays cached, not run twice.
                var all = Run(input, options, all: false, evaluator);
                return all.Count == 0 ? null : all[0];
            }
            catch (InsufficientExecutionStackException)
            {
                throw new RegoException("evaluation too deep: the policy nests rules or expressions beyond the stack");
            }
            catch (Exception e) when (e is not RegoException and not OperationCanceledException)
            {
                throw new RegoException($"internal evaluation error: {e.GetType().Name}: {e.Message}");
            }
        }

        var results = Run(input, options, all: false);
        return results.Count == 0 ? null : results[0];
    }

    /// <summary>Every result of the query, in evaluation order.</summary>
    public IReadOnlyList<Value> EvaluateAll(Value? input = null, EvaluationOptions? options = null) => Run(input, options, all: true);

    private List<Value> Run(Value? input, EvaluationOptions? options, bool all, Evaluator? started = null)
    {
        var evaluator = started ?? new Evaluator(_policy.Model, input, options);
        var frame = new Value?[_plan.SlotCount];
        var results = new List<Value>();
        var query = _plan.Query;
        try
        {
            if (_plan.IsSingleTerm)
            {
                var term = ((ExpressionLiteral)query.Literals[0]).Expression;
                evaluator.EvalTerm(term, frame, value =>
                {
                    results.Add(value);
                    return all;
                });
                evaluator.Release();
                return results;
            }

            var captured = new Value?[query.Literals.Count];
            evaluator.EvalCapturing(query, frame, captured, () =>
            {
                if (_plan.Bindings.Count > 0)
                {
                    var members = new List<KeyValuePair<Value, Value>>();
                    foreach (var (name, slot) in _plan.Bindings)
                    {
                        if (frame[slot] is { } value)
                        {
                            members.Add(new(Value.String(name), value));
                        }
                    }

                    results.Add(Value.Object(members));
                }
                else
                {
                    results.Add(captured.Length == 1 ? captured[0]! : Value.Array(captured.Select(c => c ?? Value.True)));
                }

                return all;
            });
            evaluator.Release();
            return results;
        }
        catch (InsufficientExecutionStackException)
        {
            throw new RegoException("evaluation too deep: the policy nests rules or expressions beyond the stack");
        }
        catch (Exception e) when (e is not RegoException and not OperationCanceledException)
        {
            // A defect in the engine or a builtin must still fail the decision as a policy error, never crash the caller.
            throw new RegoException($"internal evaluation error: {e.GetType().Name}: {e.Message}");
        }
    }
}
