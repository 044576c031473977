using System.Collections.Immutable;
using System.Text;
using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

internal sealed partial class Evaluator
{
    public bool EvalTerm(Term term, Value?[] frame, Func<Value, bool> next)
    {
        if (TrySingle(term, frame, out var single))
        {
            return single is null || next(single);
        }

        switch (term)
        {
            case VarTerm v:
                return EvalVar(v, frame, next);
            case RefTerm r:
                return EvalRef(r, frame, next);
            case CallTerm c:
                return EvalCall(c, frame, next);
            case BinaryTerm b:
                return EvalBinary(b, frame, next);
            case MembershipTerm m:
                return EvalMembership(m, frame, next);
            case ComprehensionTerm c:
                return next(EvalComprehension(c, frame));
            case ArrayTerm a:
                return EvalArray(a, frame, next);
            case SetTerm s:
                return EvalSetTerm(s, frame, next);
            case ObjectTerm o:
                return EvalObject(o, 0, ImmutableSortedDictionary<Value, Value>.Empty, frame, next);
            default:
                throw new RegoException("cannot evaluate term", term.Location);
        }
    }

    // Apart from EvalTerm: their lambdas capture `next`, and C# would allocate that closure on every EvalTerm entry.
    private bool EvalArray(ArrayTerm a, Value?[] frame, Func<Value, bool> next)
    {
        var items = new Value[a.Items.Count];
        return EvalItems(a.Items, 0, items, frame, () => next(new ArrayValue([.. items])));
    }

    private bool EvalSetTerm(SetTerm s, Value?[] frame, Func<Value, bool> next)
    {
        var items = new Value[s.Items.Count];
        return EvalItems(s.Items, 0, items, frame, () => next(Value.Set(items)));
    }

    private bool EvalVar(VarTerm v, Value?[] frame, Func<Value, bool> next)
    {
        switch (v.Kind)
        {
            case VarKind.Local:
            case VarKind.Wildcard:
                var value = frame[v.Slot];
                if (value is null)
                {
                    throw new RegoException($"var `{v.Name}` is unsafe", v.Location);
                }

                return next(value);
            case VarKind.Input:
                var input = Input(v.Path, v.Path);
                return input is null || next(input);
            case VarKind.Data:
                return EvalData(v.Node!, v.Path, 0, null, 0, frame, next);
            default:
                throw new RegoException($"unresolved name `{v.Name}`", v.Location);
        }
    }

    private bool EvalItems(IReadOnlyList<Term> terms, int index, Value[] items, Value?[] frame, Func<bool> next)
    {
        if (index == terms.Count)
        {
            return next();
        }

        return EvalTerm(terms[index], frame, value =>
        {
            items[index] = value;
            return EvalItems(terms, index + 1, items, frame, next);
        });
    }

    private bool EvalObject(ObjectTerm o, int index, ImmutableSortedDictionary<Value, Value> members, Value?[] frame, Func<Value, bool> next)
    {
        if (index == o.Pairs.Count)
        {
            return next(new ObjectValue(members));
        }

        var (keyTerm, valueTerm) = o.Pairs[index];
        return EvalTerm(keyTerm, frame, key => EvalTerm(valueTerm, frame, value => EvalObject(o, index + 1, members.SetItem(key, value), frame, next)));
    }

    private bool EvalRef(RefTerm r, Value?[] frame, Func<Value, bool> next)
    {
        switch (r.Head)
        {
            case VarTerm { Kind: VarKind.Data } head:
                return r.Node is not null
                    ? EvalData(r.Node, [], 0, r, r.NodeParts, frame, next)
                    : EvalData(head.Node!, head.Path, 0, r, 0, frame, next);
            case VarTerm { Kind: VarKind.Input } head:
                {
                    // The read is the reference's constant path, not the head's whole document.
                    var input = Input(head.Path, r.InputPath ?? head.Path);
                    return input is null || EvalParts(input, r, 0, frame, next);
                }

            default:
                return EvalTerm(r.Head, frame, value => EvalParts(value, r, 0, frame, next));
        }
    }

    /// <summary>Applies the reference's keys from <paramref name="index"/> to a value, iterating over unbound variables.</summary>
    private bool EvalParts(Value current, RefTerm r, int index, Value?[] frame, Func<Value, bool> next)
    {
        if (index == r.Parts.Count)
        {
            return next(current);
        }

        var key = r.Parts[index].Key;
        if (key.Constant is not null)
        {
            var child = Index(current, key.Constant);
            return child is null || EvalParts(child, r, index + 1, frame, next);
        }

        return key is VarTerm { Slot: >= 0 } v && frame[v.Slot] is null
            ? EvalPartsIterating(current, r, index, v.Slot, frame, next)
            : EvalPartsByKey(current, r, index, frame, next);
    }

    // Apart from EvalParts, whose constant keys need no closure: C# allocates a method's closure on entry.
    private bool EvalPartsIterating(Value current, RefTerm r, int index, int slot, Value?[] frame, Func<Value, bool> next) =>
        Iterate(current, (k, item) =>
        {
            frame[slot] = k;
            var result = EvalParts(item, r, index + 1, frame, next);
            frame[slot] = null;
            return result;
        });

    private bool EvalPartsByKey(Value current, RefTerm r, int index, Value?[] frame, Func<Value, bool> next) =>
        EvalTerm(r.Parts[index].Key, frame, k =>
        {
            var child = Index(current, k);
            return child is null || EvalParts(child, r, index + 1, frame, next);
        });

    /// <summary>
    /// Walks the rule tree from <paramref name="node"/>: first the constant <paramref name="keys"/>, then the
    /// reference's parts from <paramref name="partIndex"/>. A node with rules is evaluated (once per evaluation) and
    /// the rest applies to its value; a key no rule defines reads the base document.
    /// </summary>
    private bool EvalData(DataNode node, Value[] keys, int keyIndex, RefTerm? r, int partIndex, Value?[] frame, Func<Value, bool> next)
    {
        while (true)
        {
            if (node.HasValueRules || (keyIndex == keys.Length && (r is null || partIndex == r.Parts.Count)))
            {
                var value = EvalNode(node);
                return value is null || ApplyRest(value, keys, keyIndex, r, partIndex, frame, next);
            }

            if (keyIndex < keys.Length)
            {
                var key = keys[keyIndex];
                var child = node.Child(key);
                if (child is null)
                {
                    return ApplyBase(node, key, keys, keyIndex + 1, r, partIndex, frame, next);
                }

                node = child;
                keyIndex++;
                continue;
            }

            var part = r!.Parts[partIndex].Key;
            if (part.Constant is not null)
            {
                var child = node.Child(part.Constant);
                if (child is null)
                {
                    return ApplyBase(node, part.Constant, keys, keyIndex, r, partIndex + 1, frame, next);
                }

                node = child;
                partIndex++;
                continue;
            }

            if (part is VarTerm { Slot: >= 0 } v && frame[v.Slot] is null)
            {
                var whole = EvalNode(node);
                return whole is null || EvalParts(whole, r, partIndex, frame, next);
            }

            return EvalDataByKey(node, part, keys, keyIndex, r, partIndex + 1, frame, next);
        }
    }

    // Apart from EvalData, whose constant keys need no closure: C# allocates a method's closure on entry.
    private bool EvalDataByKey(DataNode current, Term part, Value[] keys, int keyIndex, RefTerm r, int afterPart, Value?[] frame, Func<Value, bool> next) =>
        EvalTerm(part, frame, key =>
        {
            var child = current.Child(key);
            return child is null
                ? ApplyBase(current, key, keys, keyIndex, r, afterPart, frame, next)
                : EvalData(child, keys, keyIndex, r, afterPart, frame, next);
        });

    private bool ApplyBase(DataNode node, Value key, Value[] keys, int keyIndex, RefTerm? r, int partIndex, Value?[] frame, Func<Value, bool> next)
    {
        if (key is NumberValue)
        {
            key = Value.String(key.ToString());
        }

        var value = LookupBase([.. node.Path, key]);
        return value is null || ApplyRest(value, keys, keyIndex, r, partIndex, frame, next);
    }

    private bool ApplyRest(Value value, Value[] keys, int keyIndex, RefTerm? r, int partIndex, Value?[] frame, Func<Value, bool> next)
    {
        for (var i = keyIndex; i < keys.Length; i++)
        {
            var child = Index(value, keys[i]);
            if (child is null)
            {
                return true;
            }

            value = child;
        }

        return r is null ? next(value) : EvalParts(value, r, partIndex, frame, next);
    }

    private bool EvalBinary(BinaryTerm b, Value?[] frame, Func<Value, bool> next)
    {
        switch (b.Operator)
        {
            case BinaryOperator.Unify:
                return Unify(b.Left, b.Right, frame, () => next(Value.True));
            case BinaryOperator.Assign:
                return EvalTerm(b.Right, frame, value => Match(b.Left, value, frame, () => next(Value.True)));
            case BinaryOperator.OrElse:
                var found = false;
                var result = EvalTerm(b.Left, frame, value =>
                {
                    if (value is NullValue || IsFalse(value))
                    {
                        return true;
                    }

                    found = true;
                    return next(value);
                });
                return found ? result : EvalTerm(b.Right, frame, next);
        }

        return EvalTerm(b.Left, frame, left => EvalTerm(b.Right, frame, right =>
        {
            var result = b.Operator switch
            {
                BinaryOperator.Equal => Value.Bool(left.Equals(right)),
                BinaryOperator.NotEqual => Value.Bool(!left.Equals(right)),
                BinaryOperator.Less => Value.Bool(left.CompareTo(right) < 0),
                BinaryOperator.Greater => Value.Bool(left.CompareTo(right) > 0),
                BinaryOperator.LessOrEqual => Value.Bool(left.CompareTo(right) <= 0),
                BinaryOperator.GreaterOrEqual => Value.Bool(left.CompareTo(right) >= 0),
                _ => CallBuiltin(b.Builtin!, [left, right], b.Location),
            };
            return result is null || next(result);
        }));
    }

    private bool EvalMembership(MembershipTerm m, Value?[] frame, Func<Value, bool> next)
    {
        if (m.Key is null)
        {
            return EvalTerm(m.Value, frame, value => EvalTerm(m.Collection, frame, collection => next(Value.Bool(collection switch
            {
                ArrayValue a => a.Items.Contains(value),
                SetValue s => s.Contains(value),
                ObjectValue o => o.Members.ContainsValue(value),
                _ => false,
            }))));
        }

        return EvalTerm(m.Key, frame, key => EvalTerm(m.Value, frame, value => EvalTerm(m.Collection, frame, collection =>
            next(Value.Bool(collection is ArrayValue or ObjectValue or SetValue && Index(collection, key) is { } found && found.Equals(value))))));
    }

    private Value EvalComprehension(ComprehensionTerm c, Value?[] frame)
    {
        switch (c.Kind)
        {
            case ComprehensionKind.Array:
                {
                    var items = ImmutableArray.CreateBuilder<Value>();
                    EvalQuery(c.Body, frame, () => EvalTerm(c.Head, frame, value =>
                    {
                        items.Add(value);
                        return true;
                    }));
                    return new ArrayValue(items.ToImmutable());
                }

            case ComprehensionKind.Set:
                {
                    var items = ImmutableSortedSet.CreateBuilder<Value>();
                    EvalQuery(c.Body, frame, () => EvalTerm(c.Head, frame, value =>
                    {
                        items.Add(value);
                        return true;
                    }));
                    return new SetValue(items.ToImmutable());
                }

            default:
                {
                    var members = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
                    EvalQuery(c.Body, frame, () => EvalTerm(c.Key!, frame, key => EvalTerm(c.Head, frame, value =>
                    {
                        if (members.TryGetValue(key, out var existing) && !existing.Equals(value))
                        {
                            throw new RegoException("object keys must be unique", c.Location);
                        }

                        members[key] = value;
                        return true;
                    })));
                    return new ObjectValue(members.ToImmutable());
                }
        }
    }

    private bool EvalCall(CallTerm call, Value?[] frame, Func<Value, bool> next)
    {
        switch (call.Intrinsic)
        {
            case Intrinsic.Print:
                Print(call, frame);
                return next(Value.True);
            case Intrinsic.Trace:
                return EvalTerm(call.Arguments[0], frame, note =>
                {
                    _builtins.Print(note is StringValue s ? s.Value : note.ToString());
                    return next(Value.True);
                });
            case Intrinsic.Walk:
                return EvalTerm(call.Arguments[0], frame, root => Walk(root, [], pair =>
                    call.HasOutput ? Match(call.Arguments[1], pair, frame, () => next(Value.True)) : next(pair)));
        }

        var count = call.HasOutput ? call.Arguments.Count - 1 : call.Arguments.Count;
        var arguments = new Value[count];
        return EvalItems(call.Arguments, 0, arguments, frame, count, () =>
        {
            var result = call.FunctionNode is not null
                ? CallFunction(call.FunctionNode, arguments, call.Location)
                : CallBuiltin(call.Builtin!, arguments, call.Location);
            if (result is null)
            {
                return true;
            }

            return call.HasOutput ? Match(call.Arguments[^1], result, frame, () => next(Value.True)) : next(result);
        });
    }

    private bool EvalItems(IReadOnlyList<Term> terms, int index, Value[] items, Value?[] frame, int count, Func<bool> next)
    {
        if (index == count)
        {
            return next();
        }

        return EvalTerm(terms[index], frame, value =>
        {
            items[index] = value;
            return EvalItems(terms, index + 1, items, frame, count, next);
        });
    }

    private void Print(CallTerm call, Value?[] frame)
    {
        var text = new StringBuilder();
        foreach (var argument in call.Arguments)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            var value = EvalFirst(argument, frame);
            text.Append(value switch
            {
                null => "<undefined>",
                StringValue s => s.Value,
                _ => value.ToString(),
            });
        }

        _builtins.Print(text.ToString());
    }

    private static bool Walk(Value value, ImmutableArray<Value> path, Func<Value, bool> next)
    {
        if (!next(Value.Array(Value.Array(path), value)))
        {
            return false;
        }

        return Iterate(value, (key, child) => Walk(child, path.Add(key), next));
    }

    private Value? CallBuiltin(Builtins.Builtin builtin, Value[] arguments, SourceLocation location)
    {
        if (builtin.IsNondeterministic)
        {
            _reads?.Spoil();
        }

        if (_state.BuiltinOverrides is not null && _state.BuiltinOverrides.TryGetValue(builtin.Name, out var replaced))
        {
            return replaced.Function is null ? replaced.Value : CallFunction(replaced.Function, arguments, location);
        }

        try
        {
            return builtin.Function(_builtins, arguments);
        }
        catch (RegoException e)
        {
            if (!_strict)
            {
                return null;
            }

            if (e.Location is null)
            {
                throw new RegoException(e.Detail, location);
            }

            throw;
        }
        catch (DivideByZeroException)
        {
            if (!_strict)
            {
                return null;
            }

            throw new RegoException("divide by zero", location);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (!_strict)
            {
                return null;
            }

            throw new RegoException($"`{builtin.Name}`: {e.Message}", location);
        }
    }
}
