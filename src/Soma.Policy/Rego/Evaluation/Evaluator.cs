using System.Diagnostics;
using Soma.Policy.Rego.Builtins;
using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

/// <summary>
/// Top-down evaluation with backtracking: each term or literal calls its continuation once per solution, binding
/// variables in a frame (one per rule body) and unbinding them when the continuation returns. A continuation returns
/// false to stop the search (negation, <c>every</c>, first-result queries). One evaluator per call: not thread-safe.
/// </summary>
internal sealed partial class Evaluator
{
    private const int MaxDepth = 256;
    private readonly PolicyModel _model;
    private readonly BuiltinContext _builtins;
    private readonly EvaluationOptions _options;
    private readonly bool _strict;
    private EvaluationState _state;
    private readonly EvaluationState _root;
    private int _depth;
    private bool _arrayMismatch;
    private readonly long _deadline;
    private readonly InputReads? _reads;
    private int _steps;

    public Evaluator(PolicyModel model, Value? input, EvaluationOptions? options)
    {
        _model = model;
        _options = options ?? EvaluationOptions.Default;
        _strict = _options.StrictBuiltinErrors;
        _reads = _options.Reads;
        _builtins = new BuiltinContext(_options.Now ?? TimeProvider.System.GetUtcNow(), _options.Print, _options.CancellationToken);
        _state = EvaluationState.Rent(input, model.NodeCount);
        _root = _state;
        _deadline = _options.Timeout is { } timeout
            ? Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency)
            : long.MaxValue;
    }

    /// <summary>Returns the evaluation's node cache to the thread (the evaluator is not used afterwards).</summary>
    public void Release() => _root.Return();

    /// <summary>The value of a term that has one value at most, without continuations; false when it may have more.</summary>
    public bool TrySingleValue(Term term, Value?[] frame, out Value? value) => TrySingle(term, frame, out value);

    // Reading the clock costs tens of nanoseconds: look at it every 64th literal only.
    private void CheckDeadline()
    {
        if ((++_steps & 63) == 0 && _deadline != long.MaxValue && Stopwatch.GetTimestamp() > _deadline)
        {
            throw new OperationCanceledException("the evaluation exceeded its time limit");
        }
    }

    private static bool IsFalse(Value value) => value is BooleanValue { Value: false };

    public bool EvalQuery(Query query, Value?[] frame, Func<bool> next) => EvalLiterals(query.Ordered, 0, frame, next);

    private bool EvalLiterals(Literal[] literals, int index, Value?[] frame, Func<bool> next)
    {
        while (true)
        {
            if (index == literals.Length)
            {
                return next();
            }

            _options.CancellationToken.ThrowIfCancellationRequested();
            CheckDeadline();
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            var literal = literals[index];
            _options.Coverage?.Add(literal.Location);

            // The fast paths: a literal with one solution at most (a test, or `x := v` of an unbound local) needs no
            // continuation closure; the general path allocates one per literal and solution.
            if (literal.With.Count == 0 && literal is ExpressionLiteral e)
            {
                if (e.Expression is BinaryTerm { Operator: BinaryOperator.Assign } assign)
                {
                    if (!e.Negated && assign.Left is VarTerm { Kind: VarKind.Local } v && frame[v.Slot] is null && TrySingle(assign.Right, frame, out var right))
                    {
                        if (right is null)
                        {
                            return true;
                        }

                        frame[v.Slot] = right;
                        try
                        {
                            return EvalLiterals(literals, index + 1, frame, next);
                        }
                        finally
                        {
                            frame[v.Slot] = null;
                        }
                    }
                }
                else if (e.Expression is not BinaryTerm { Operator: BinaryOperator.Unify } && TrySingle(e.Expression, frame, out var single))
                {
                    var holds = single is not null && !IsFalse(single);
                    if (holds == e.Negated)
                    {
                        return true;
                    }

                    index++;
                    continue;
                }
            }

            // `some x in xs` over a single-valued collection, binding plain variables: the rest of the body runs for
            // each member straight from the loop, without a continuation closure.
            if (literal.With.Count == 0 && literal is SomeInLiteral someIn && IsPlainBinding(someIn, frame) && TrySingle(someIn.Collection, frame, out var collection))
            {
                if (collection is null)
                {
                    return true;
                }

                if (collection is not (ArrayValue or SetValue or ObjectValue))
                {
                    throw new RegoException("`some .. in collection` expects array/set/object.", literal.Location);
                }

                return SomeInBinding(collection, someIn.Key is VarTerm k ? k.Slot : -1, ((VarTerm)someIn.Value).Slot, frame, literals, index + 1, next);
            }

            return index + 1 == literals.Length ? EvalLiteral(literal, frame, next) : EvalLiteralThenRest(literals, index, frame, next);
        }
    }

    // Apart from EvalLiterals: a lambda there would capture its parameters, and C# allocates that closure on entry,
    // on the fast paths too.
    private bool EvalLiteralThenRest(Literal[] literals, int index, Value?[] frame, Func<bool> next) =>
        EvalLiteral(literals[index], frame, () => EvalLiterals(literals, index + 1, frame, next));

    private bool EvalLiteral(Literal literal, Value?[] frame, Func<bool> next) =>
        literal.With.Count > 0 ? EvalLiteralWith(literal, frame, next) : EvalLiteralCore(literal, frame, next);

    private bool EvalLiteralWith(Literal literal, Value?[] frame, Func<bool> next) =>
        EvalWith(literal, frame, next, k => EvalLiteralCore(literal, frame, k));

    private bool EvalLiteralCore(Literal literal, Value?[] frame, Func<bool> next)
    {
        switch (literal)
        {
            case ExpressionLiteral { Negated: false } e:
                return EvalExpression(e.Expression, frame, next);
            case ExpressionLiteral e:
                {
                    var found = false;
                    EvalExpression(e.Expression, frame, () =>
                    {
                        found = true;
                        return false;
                    });
                    return found || next();
                }

            case SomeLiteral:
                return next();
            case SomeInLiteral s:
                return EvalSomeIn(s, frame, next);
            case EveryLiteral every:
                return EvalEvery(every, frame, next);
            default:
                throw new RegoException("unknown literal", literal.Location);
        }
    }

    private bool EvalExpression(Term expression, Value?[] frame, Func<bool> next)
    {
        if (expression is BinaryTerm { Operator: BinaryOperator.Unify } unify)
        {
            return Unify(unify.Left, unify.Right, frame, next);
        }

        if (expression is BinaryTerm { Operator: BinaryOperator.Assign } assign)
        {
            if (TrySingle(assign.Right, frame, out var right))
            {
                return right is null || Match(assign.Left, right, frame, next);
            }

            return EvalAssign(assign, frame, next);
        }

        if (TrySingle(expression, frame, out var single))
        {
            return single is null || IsFalse(single) || next();
        }

        return EvalTest(expression, frame, next);
    }

    private bool EvalAssign(BinaryTerm assign, Value?[] frame, Func<bool> next) =>
        EvalTerm(assign.Right, frame, value => Match(assign.Left, value, frame, next));

    private bool EvalTest(Term expression, Value?[] frame, Func<bool> next) =>
        EvalTerm(expression, frame, value => IsFalse(value) || next());

    private bool EvalSomeIn(SomeInLiteral literal, Value?[] frame, Func<bool> next)
    {
        if (TrySingle(literal.Collection, frame, out var single))
        {
            return single is null || SomeInOver(literal, single, frame, next);
        }

        return EvalSomeInTerm(literal, frame, next);
    }

    private bool EvalSomeInTerm(SomeInLiteral literal, Value?[] frame, Func<bool> next) =>
        EvalTerm(literal.Collection, frame, collection => SomeInOver(literal, collection, frame, next));

    private bool SomeInOver(SomeInLiteral literal, Value collection, Value?[] frame, Func<bool> next)
    {
        if (collection is not (ArrayValue or SetValue or ObjectValue))
        {
            throw new RegoException("`some .. in collection` expects array/set/object.", literal.Location);
        }

        // `some x in xs` / `some k, x in xs` of unbound locals: bind them in a loop, no closures per member.
        if (IsPlainBinding(literal, frame))
        {
            return SomeInBinding(collection, literal.Key is VarTerm k ? k.Slot : -1, ((VarTerm)literal.Value).Slot, frame, null, 0, next);
        }

        return SomeInMatching(literal, collection, frame, next);
    }

    private static bool IsPlainBinding(SomeInLiteral literal, Value?[] frame) =>
        literal.Value is VarTerm { Kind: VarKind.Local } valueVar && frame[valueVar.Slot] is null
        && (literal.Key is null || (literal.Key is VarTerm { Kind: VarKind.Local } keyVar && keyVar.Slot != valueVar.Slot && frame[keyVar.Slot] is null));

    /// <summary>Binds each member in turn and runs the rest: the body's literals from <paramref name="restIndex"/>
    /// (then <paramref name="next"/>) when <paramref name="literals"/> is given, else <paramref name="next"/>.</summary>
    private bool SomeInBinding(Value collection, int keySlot, int valueSlot, Value?[] frame, Literal[]? literals, int restIndex, Func<bool> next)
    {
        try
        {
            switch (collection)
            {
                case ArrayValue array:
                    for (var i = 0; i < array.Items.Length; i++)
                    {
                        if (keySlot >= 0)
                        {
                            frame[keySlot] = Value.Number(i);
                        }

                        frame[valueSlot] = array.Items[i];
                        if (!(literals is null ? next() : EvalLiterals(literals, restIndex, frame, next)))
                        {
                            return false;
                        }
                    }

                    return true;
                case ObjectValue obj:
                    foreach (var (key, value) in obj.Members)
                    {
                        if (keySlot >= 0)
                        {
                            frame[keySlot] = key;
                        }

                        frame[valueSlot] = value;
                        if (!(literals is null ? next() : EvalLiterals(literals, restIndex, frame, next)))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    foreach (var item in ((SetValue)collection).Items)
                    {
                        if (keySlot >= 0)
                        {
                            frame[keySlot] = item;
                        }

                        frame[valueSlot] = item;
                        if (!(literals is null ? next() : EvalLiterals(literals, restIndex, frame, next)))
                        {
                            return false;
                        }
                    }

                    return true;
            }
        }
        finally
        {
            frame[valueSlot] = null;
            if (keySlot >= 0)
            {
                frame[keySlot] = null;
            }
        }
    }

    private bool SomeInMatching(SomeInLiteral literal, Value collection, Value?[] frame, Func<bool> next)
    {
        _arrayMismatch = false;
        var matched = false;
        var result = Iterate(collection, (key, value) =>
        {
            Func<bool> matchValue = () => Match(literal.Value, value, frame, () =>
            {
                matched = true;
                return next();
            });
            return literal.Key is null ? matchValue() : Match(literal.Key, key, frame, matchValue);
        });
        if (!matched && _arrayMismatch)
        {
            throw new RegoException("mismatch in number of array elements", literal.Location);
        }

        return result;
    }

    private bool EvalEvery(EveryLiteral every, Value?[] frame, Func<bool> next) =>
        EvalTerm(every.Domain, frame, domain =>
        {
            if (domain is not (ArrayValue or SetValue or ObjectValue))
            {
                return true;
            }

            var all = Iterate(domain, (key, value) =>
            {
                if (every.Key is not null)
                {
                    frame[every.Key.Slot] = key;
                }

                frame[every.Value.Slot] = value;
                var found = false;
                EvalQuery(every.Body, frame, () =>
                {
                    found = true;
                    return false;
                });
                if (every.Key is not null)
                {
                    frame[every.Key.Slot] = null;
                }

                frame[every.Value.Slot] = null;
                return found;
            });
            return !all || next();
        });

    /// <summary>Runs <paramref name="body"/> (the literal) under its <c>with</c> modifiers; the continuation runs
    /// without them.</summary>
    private bool EvalWith(Literal literal, Value?[] frame, Func<bool> next, Func<Func<bool>, bool> body)
    {
        var saved = _state;
        var fork = saved.Fork();
        foreach (var with in literal.With)
        {
            if (with.ReplacementFunction is not null)
            {
                if (with.Builtin is not null)
                {
                    fork.OverrideBuiltin(with.Builtin, with.ReplacementFunction, null);
                }
                else
                {
                    fork.OverrideFunction(with.Function!, with.ReplacementFunction, null);
                }

                continue;
            }

            var value = EvalFirst(with.Value, frame);
            if (value is null)
            {
                return true;
            }

            if (with.TargetsInput)
            {
                _reads?.Spoil();
                fork.Input = SetPath(fork.Input, with.Path, 0, value);
            }
            else if (with.Builtin is not null)
            {
                fork.OverrideBuiltin(with.Builtin, null, value);
            }
            else if (with.Function is not null)
            {
                fork.OverrideFunction(with.Function, null, value);
            }
            else
            {
                fork.OverrideData(with.Path, value);
            }
        }

        _state = fork;
        try
        {
            return body(() =>
            {
                _state = saved;
                try
                {
                    return next();
                }
                finally
                {
                    _state = fork;
                }
            });
        }
        finally
        {
            _state = saved;
        }
    }

    /// <summary>The first value of a term, or null when it has none.</summary>
    public Value? EvalFirst(Term term, Value?[] frame)
    {
        if (term.Constant is not null)
        {
            return term.Constant;
        }

        Value? result = null;
        EvalTerm(term, frame, value =>
        {
            result = value;
            return false;
        });
        return result;
    }

    private static Value SetPath(Value? target, Value[] path, int index, Value value)
    {
        if (index == path.Length)
        {
            return value;
        }

        var obj = target as ObjectValue ?? Value.EmptyObject;
        var child = SetPath(obj[path[index]], path, index + 1, value);
        return new ObjectValue(obj.Members.SetItem(path[index], child));
    }

    /// <summary>Calls <paramref name="each"/> with (key, value) for arrays (index), objects, and sets (the member twice).</summary>
    private static bool Iterate(Value collection, Func<Value, Value, bool> each)
    {
        switch (collection)
        {
            case ArrayValue array:
                for (var i = 0; i < array.Items.Length; i++)
                {
                    if (!each(Value.Number(i), array.Items[i]))
                    {
                        return false;
                    }
                }

                return true;
            case ObjectValue obj:
                foreach (var (key, value) in obj.Members)
                {
                    if (!each(key, value))
                    {
                        return false;
                    }
                }

                return true;
            case SetValue set:
                foreach (var item in set.Items)
                {
                    if (!each(item, item))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    /// <summary>The input's value at <paramref name="path"/> (null when undefined), noting the read as <paramref name="read"/>.</summary>
    private Value? Input(Value[] path, Value[] read)
    {
        _reads?.Read(read);
        var value = _state.Input;
        foreach (var key in path)
        {
            if (value is null)
            {
                break;
            }

            value = Index(value, key);
        }

        return value;
    }

    internal static Value? Index(Value collection, Value key) => collection switch
    {
        ArrayValue array => key is NumberValue n && n.TryGetInt32(out var i) && i >= 0 && i < array.Items.Length ? array.Items[i] : null,
        ObjectValue obj => obj[key],
        SetValue set => set.Contains(key) ? key : null,
        _ => null,
    };
}
