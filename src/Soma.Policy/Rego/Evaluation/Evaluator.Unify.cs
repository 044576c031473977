using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

internal sealed partial class Evaluator
{
    /// <summary><c>a = b</c>: evaluates whichever side is ground and matches the other against it; two array or
    /// object literals unify element by element.</summary>
    private bool Unify(Term left, Term right, Value?[] frame, Func<bool> next)
    {
        if (IsGround(left, frame))
        {
            return EvalTerm(left, frame, value => Match(right, value, frame, next));
        }

        if (IsGround(right, frame))
        {
            return EvalTerm(right, frame, value => Match(left, value, frame, next));
        }

        switch (left, right)
        {
            case (ArrayTerm a, ArrayTerm b):
                return a.Items.Count != b.Items.Count || UnifyItems(a.Items, b.Items, 0, frame, next);
            case (ObjectTerm a, ObjectTerm b):
                if (a.Pairs.Count != b.Pairs.Count)
                {
                    return true;
                }

                var pairs = new List<(Term, Term)>();
                foreach (var (key, value) in a.Pairs)
                {
                    var k = EvalFirst(key, frame);
                    var match = b.Pairs.FirstOrDefault(p => k is not null && k.Equals(EvalFirst(p.Key, frame)));
                    if (match.Key is null)
                    {
                        return true;
                    }

                    pairs.Add((value, match.Value));
                }

                return UnifyItems([.. pairs.Select(p => p.Item1)], [.. pairs.Select(p => p.Item2)], 0, frame, next);
            default:
                throw new RegoException("unification of two unbound patterns: a variable is unsafe", left.Location);
        }
    }

    private bool UnifyItems(IReadOnlyList<Term> left, IReadOnlyList<Term> right, int index, Value?[] frame, Func<bool> next) =>
        index == left.Count ? next() : Unify(left[index], right[index], frame, () => UnifyItems(left, right, index + 1, frame, next));

    /// <summary>Whether a pattern has no unbound variable where a value could be bound.</summary>
    private static bool IsGround(Term term, Value?[] frame) => term switch
    {
        VarTerm { Kind: VarKind.Wildcard } => false,
        VarTerm { Kind: VarKind.Local } v => frame[v.Slot] is not null,
        ArrayTerm a => a.Constant is not null || a.Items.All(i => IsGround(i, frame)),
        ObjectTerm o => o.Constant is not null || o.Pairs.All(p => IsGround(p.Key, frame) && IsGround(p.Value, frame)),
        _ => true,
    };

    /// <summary>Matches a pattern against a value, binding the pattern's unbound variables.</summary>
    private bool Match(Term pattern, Value value, Value?[] frame, Func<bool> next)
    {
        if (pattern.Constant is not null)
        {
            if (pattern.Constant is ArrayValue constant && value is ArrayValue actual && constant.Count != actual.Count)
            {
                _arrayMismatch = true;
            }

            return !pattern.Constant.Equals(value) || next();
        }

        switch (pattern)
        {
            case VarTerm { Kind: VarKind.Wildcard }:
                return next();
            case VarTerm { Kind: VarKind.Local } v:
                {
                    var bound = frame[v.Slot];
                    if (bound is not null)
                    {
                        return !bound.Equals(value) || next();
                    }

                    frame[v.Slot] = value;
                    try
                    {
                        return next();
                    }
                    finally
                    {
                        frame[v.Slot] = null;
                    }
                }

            case ArrayTerm a:
                if (value is not ArrayValue array)
                {
                    return true;
                }

                if (array.Count != a.Items.Count)
                {
                    _arrayMismatch = true;
                    return true;
                }

                return MatchItems(a.Items, array, 0, frame, next);
            case ObjectTerm o:
                if (value is not ObjectValue obj || obj.Count != o.Pairs.Count)
                {
                    return true;
                }

                var ordered = o.Pairs.OrderBy(p => IsGround(p.Key, frame) ? 0 : 1).ToArray();
                return MatchMembers(ordered, 0, obj, [], frame, next);
            default:
                return MatchTerm(pattern, value, frame, next);
        }
    }

    // Apart from Match: the lambda captures `value` and `next`, and C# would allocate that closure on every Match entry.
    private bool MatchTerm(Term pattern, Value value, Value?[] frame, Func<bool> next) =>
        EvalTerm(pattern, frame, actual => !actual.Equals(value) || next());

    private bool MatchItems(IReadOnlyList<Term> items, ArrayValue array, int index, Value?[] frame, Func<bool> next) =>
        index == items.Count ? next() : Match(items[index], array.Items[index], frame, () => MatchItems(items, array, index + 1, frame, next));

    private bool MatchMembers((Term Key, Term Value)[] pairs, int index, ObjectValue obj, HashSet<Value> used, Value?[] frame, Func<bool> next)
    {
        if (index == pairs.Length)
        {
            return next();
        }

        var (keyTerm, valueTerm) = pairs[index];
        if (IsGround(keyTerm, frame))
        {
            return EvalTerm(keyTerm, frame, key =>
            {
                if (obj[key] is not { } member || !used.Add(key))
                {
                    return true;
                }

                var result = Match(valueTerm, member, frame, () => MatchMembers(pairs, index + 1, obj, used, frame, next));
                used.Remove(key);
                return result;
            });
        }

        foreach (var (key, member) in obj.Members)
        {
            if (used.Contains(key))
            {
                continue;
            }

            used.Add(key);
            var result = Match(keyTerm, key, frame, () => Match(valueTerm, member, frame, () => MatchMembers(pairs, index + 1, obj, used, frame, next)));
            used.Remove(key);
            if (!result)
            {
                return false;
            }
        }

        return true;
    }
}
