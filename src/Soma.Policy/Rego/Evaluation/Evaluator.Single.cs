using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

internal sealed partial class Evaluator
{
    /// <summary>
    /// The fast path: evaluates a term that cannot iterate (no unbound variable, no comprehension or collection to
    /// build) straight to its value, without continuations. Returns false when the term needs the general path;
    /// returns true with a null value when the term is undefined.
    /// </summary>
    private bool TrySingle(Term term, Value?[] frame, out Value? value)
    {
        value = term.Constant;
        if (value is not null)
        {
            return true;
        }

        switch (term)
        {
            case VarTerm { Kind: VarKind.Local or VarKind.Wildcard } v:
                value = frame[v.Slot];
                return value is not null;
            case VarTerm { Kind: VarKind.Input } v:
                value = Input(v.Path, v.Path);
                return true;
            case VarTerm { Kind: VarKind.Data } v when v.Path.Length == 0:
                value = EvalNode(v.Node!);
                return true;
            case RefTerm r:
                return TrySingleRef(r, frame, out value);
            case BinaryTerm { Operator: > BinaryOperator.Assign } b:
                {
                    if (!TrySingle(b.Left, frame, out var left) || !TrySingle(b.Right, frame, out var right))
                    {
                        return false;
                    }

                    if (left is not null && right is not null)
                    {
                        value = b.Operator switch
                        {
                            BinaryOperator.Equal => Value.Bool(left.Equals(right)),
                            BinaryOperator.NotEqual => Value.Bool(!left.Equals(right)),
                            BinaryOperator.Less => Value.Bool(left.CompareTo(right) < 0),
                            BinaryOperator.Greater => Value.Bool(left.CompareTo(right) > 0),
                            BinaryOperator.LessOrEqual => Value.Bool(left.CompareTo(right) <= 0),
                            BinaryOperator.GreaterOrEqual => Value.Bool(left.CompareTo(right) >= 0),
                            _ => CallBuiltin(b.Builtin!, [left, right], b.Location),
                        };
                    }

                    return true;
                }

            case MembershipTerm { Key: null } m:
                {
                    if (!TrySingle(m.Value, frame, out var item) || !TrySingle(m.Collection, frame, out var collection))
                    {
                        return false;
                    }

                    if (item is not null && collection is not null)
                    {
                        value = Value.Bool(collection switch
                        {
                            ArrayValue a => a.Items.Contains(item),
                            SetValue s => s.Contains(item),
                            ObjectValue o => o.Members.ContainsValue(item),
                            _ => false,
                        });
                    }

                    return true;
                }

            case CallTerm { Intrinsic: Intrinsic.None, HasOutput: false } call:
                {
                    var arguments = call.Arguments.Count == 0 ? [] : new Value[call.Arguments.Count];
                    var undefined = false;
                    for (var i = 0; i < arguments.Length; i++)
                    {
                        if (!TrySingle(call.Arguments[i], frame, out var argument))
                        {
                            return false;
                        }

                        if (argument is null)
                        {
                            undefined = true;
                        }
                        else
                        {
                            arguments[i] = argument;
                        }
                    }

                    if (!undefined)
                    {
                        value = call.FunctionNode is not null
                            ? CallFunction(call.FunctionNode, arguments, call.Location)
                            : CallBuiltin(call.Builtin!, arguments, call.Location);
                    }

                    return true;
                }

            case ArrayTerm a:
                {
                    // Built straight from single-valued items (`[name]` in a sprintf call) without continuations.
                    var items = new Value[a.Items.Count];
                    var undefined = false;
                    for (var i = 0; i < items.Length; i++)
                    {
                        if (!TrySingle(a.Items[i], frame, out var item))
                        {
                            return false;
                        }

                        undefined |= item is null;
                        items[i] = item!;
                    }

                    value = undefined ? null : new ArrayValue(ImmutableCollectionsMarshal.AsImmutableArray(items));
                    return true;
                }

            case ObjectTerm o:
                {
                    var members = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
                    var undefined = false;
                    foreach (var (keyTerm, valueTerm) in o.Pairs)
                    {
                        if (!TrySingle(keyTerm, frame, out var key) || !TrySingle(valueTerm, frame, out var member))
                        {
                            return false;
                        }

                        if (key is null || member is null)
                        {
                            undefined = true;
                        }
                        else
                        {
                            members[key] = member;
                        }
                    }

                    value = undefined ? null : new ObjectValue(members.ToImmutable());
                    return true;
                }

            default:
                return false;
        }
    }

    private bool TrySingleRef(RefTerm r, Value?[] frame, out Value? value)
    {
        value = null;
        int from;
        Value? current;
        if (r.Head is VarTerm { Kind: VarKind.Data } head)
        {
            // Only a reference that reached its node, or stopped at a node whose rules give its value, is simple.
            var node = r.Node;
            if (node is null || (r.NodeParts < r.Parts.Count && !node.HasValueRules))
            {
                return false;
            }

            current = EvalNode(node);
            from = r.NodeParts;
        }
        else if (r.Head is VarTerm { Kind: VarKind.Input } input)
        {
            // The read is the reference's constant path, not the head's whole document.
            current = Input(input.Path, r.InputPath ?? input.Path);
            from = 0;
        }
        else
        {
            if (!TrySingle(r.Head, frame, out current))
            {
                return false;
            }

            from = 0;
        }

        for (var i = from; i < r.Parts.Count; i++)
        {
            if (!TrySingle(r.Parts[i].Key, frame, out var key))
            {
                return false;
            }

            if (current is null)
            {
                continue;
            }

            current = key is null ? null : Index(current, key);
        }

        value = current;
        return true;
    }
}
