using System.Collections.Immutable;
using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Evaluation;

internal sealed partial class Evaluator
{
    /// <summary>The value of a node of the rule tree, computed once per evaluation (per <c>with</c> scope).</summary>
    public Value? EvalNode(DataNode node)
    {
        var state = _state;
        switch (state.States[node.Id])
        {
            case 2:
                return state.Values[node.Id];
            case 1:
                throw new RegoException($"recursion detected evaluating {node.Name}");
        }

        if (++_depth > MaxDepth)
        {
            throw new RegoException("evaluation exceeded the maximum rule depth");
        }

        state.States[node.Id] = 1;
        try
        {
            var value = ComputeNode(node);
            state.Values[node.Id] = value;
            state.States[node.Id] = 2;
            return value;
        }
        catch
        {
            state.States[node.Id] = 0;
            throw;
        }
        finally
        {
            _depth--;
        }
    }

    private Value? ComputeNode(DataNode node)
    {
        if (_state.DataOverrides is { } overrides)
        {
            foreach (var (path, value) in overrides)
            {
                if (node.Path.AsSpan().StartsWith(path))
                {
                    return Lookup(value, node.Path, path.Length);
                }
            }
        }

        var baseValue = Lookup(_model.Data, node.Path, 0);
        Value? result;
        if (node.Complete.Count > 0 || node.Default is not null)
        {
            result = baseValue ?? EvalComplete(node);
        }
        else if (node.Sets.Count > 0)
        {
            result = baseValue ?? EvalSet(node);
        }
        else if (node.Children.Count == 0 && node.Dynamic.Count == 0 && !node.IsPackage)
        {
            result = baseValue;
        }
        else
        {
            result = EvalObjectNode(node, baseValue);
        }

        return Patch(result, node.Path);
    }

    private Value? Patch(Value? result, Value[] at)
    {
        if (_state.DataOverrides is { } overrides)
        {
            foreach (var (path, value) in overrides)
            {
                if (path.Length > at.Length && path.AsSpan().StartsWith(at))
                {
                    result = SetPath(result, path[at.Length..], 0, value);
                }
            }
        }

        return result;
    }

    private static Value? Lookup(Value? value, Value[] path, int from)
    {
        for (var i = from; i < path.Length && value is not null; i++)
        {
            value = value is ObjectValue obj ? obj[path[i]] : null;
        }

        return value;
    }

    /// <summary>A path of the base document that no rule defines, with <c>with data…</c> overrides applied.</summary>
    private Value? LookupBase(Value[] path)
    {
        if (_state.DataOverrides is { } overrides)
        {
            foreach (var (prefix, value) in overrides)
            {
                if (path.AsSpan().StartsWith(prefix))
                {
                    return Lookup(value, path, prefix.Length);
                }
            }
        }

        return Patch(Lookup(_model.Data, path, 0), path);
    }

    private ObjectValue EvalObjectNode(DataNode node, Value? baseValue)
    {
        var members = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
        foreach (var (key, child) in node.Children)
        {
            if (EvalNode(child) is { } value)
            {
                members[key] = value;
            }
        }

        if (node.Dynamic.Count > 0)
        {
            var built = new Dictionary<Value, object>();
            foreach (var definition in node.Dynamic)
            {
                EvalDynamic(definition, built);
            }

            foreach (var (key, value) in built)
            {
                var converted = Convert(value);
                members[key] = members.TryGetValue(key, out var existing) ? Merge(existing, converted) : converted;
            }
        }

        if (baseValue is ObjectValue baseObject)
        {
            foreach (var (key, value) in baseObject.Members)
            {
                members[key] = value;
            }
        }

        return new ObjectValue(members.ToImmutable());
    }

    private static Value Merge(Value left, Value right)
    {
        if (left is ObjectValue a && right is ObjectValue b)
        {
            var members = a.Members.ToBuilder();
            foreach (var (key, value) in b.Members)
            {
                members[key] = members.TryGetValue(key, out var existing) ? Merge(existing, value) : value;
            }

            return new ObjectValue(members.ToImmutable());
        }

        return left.Equals(right) ? left : throw new RegoException("rule conflicts with the following rule: object keys must be unique");
    }

    private static Value Convert(object built) => built switch
    {
        Value value => value,
        ImmutableSortedSet<Value>.Builder set => new SetValue(set.ToImmutable()),
        Dictionary<Value, object> members => Value.Object(members.Select(m => new KeyValuePair<Value, Value>(m.Key, Convert(m.Value)))),
        _ => throw new InvalidOperationException(),
    };

    private void EvalDynamic(RuleDefinition definition, Dictionary<Value, object> built)
    {
        var branch = definition.Branches[0];
        var frame = new Value?[definition.SlotCount];
        var keys = new Value[definition.DynamicKeys.Count];
        EvalBody(definition, branch, frame, () => EvalItems(definition.DynamicKeys, 0, keys, frame, () =>
        {
            var leafTerm = definition.SetLeaf ? definition.SetKey! : branch.Value;
            return leafTerm is null ? Insert(Value.True) : EvalTerm(leafTerm, frame, Insert);
        }));

        bool Insert(Value leaf)
        {
            var level = built;
            for (var i = 0; i < keys.Length - 1; i++)
            {
                if (!level.TryGetValue(keys[i], out var inner))
                {
                    inner = new Dictionary<Value, object>();
                    level[keys[i]] = inner;
                }

                level = inner as Dictionary<Value, object> ?? throw Conflict(definition);
            }

            var last = keys[^1];
            if (definition.SetLeaf)
            {
                if (!level.TryGetValue(last, out var set))
                {
                    set = ImmutableSortedSet.CreateBuilder<Value>();
                    level[last] = set;
                }

                (set as ImmutableSortedSet<Value>.Builder ?? throw Conflict(definition)).Add(leaf);
            }
            else if (level.TryGetValue(last, out var existing))
            {
                if (existing is not Value v || !v.Equals(leaf))
                {
                    throw Conflict(definition);
                }
            }
            else
            {
                level[last] = leaf;
            }

            return true;
        }
    }

    private static RegoException Conflict(RuleDefinition definition) =>
        new($"rules must not produce multiple outputs: object keys of {definition.Node.Name} must be unique", definition.Location);

    private bool EvalBody(RuleDefinition definition, RuleBranch branch, Value?[] frame, Func<bool> next)
    {
        if (branch.Body is null)
        {
            return next();
        }

        if (_options.OnRuleFired is null)
        {
            return EvalQuery(branch.Body, frame, next);
        }

        return EvalBodyTraced(definition, branch, frame, next);
    }

    // Apart from EvalBody: its lambda would allocate a closure on every rule body, traced or not.
    private bool EvalBodyTraced(RuleDefinition definition, RuleBranch branch, Value?[] frame, Func<bool> next)
    {
        return EvalQuery(branch.Body!, frame, () =>
        {
            _options.OnRuleFired?.Invoke(new RuleTrace(definition.Node.Name, branch.Location));
            return next();
        });
    }

    private Value? EvalComplete(DataNode node)
    {
        Value? result = null;
        foreach (var definition in node.Complete)
        {
            // One frame for the definition's branches (each starts from a clear one): fewer arrays per evaluation.
            var frame = new Value?[definition.SlotCount];
            foreach (var branch in definition.Branches)
            {
                var produced = false;
                Array.Clear(frame);
                EvalBody(definition, branch, frame, () => branch.Value is null ? Take(Value.True) : EvalTerm(branch.Value, frame, Take));
                if (produced)
                {
                    break;
                }

                bool Take(Value value)
                {
                    if (result is not null && !result.Equals(value))
                    {
                        throw new RegoException($"complete rules must not produce multiple outputs: {node.Name}", definition.Location);
                    }

                    result = value;
                    produced = true;
                    return true;
                }
            }
        }

        if (result is null && node.Default is { } fallback)
        {
            result = EvalFirst(fallback.Rule.Head.Value!, new Value?[fallback.SlotCount]);
        }

        return result;
    }

    private SetValue EvalSet(DataNode node)
    {
        var items = ImmutableSortedSet.CreateBuilder<Value>();
        foreach (var definition in node.Sets)
        {
            var frame = new Value?[definition.SlotCount];
            EvalBody(definition, definition.Branches[0], frame, () => EvalTerm(definition.SetKey!, frame, value =>
            {
                items.Add(value);
                return true;
            }));
        }

        return new SetValue(items.ToImmutable());
    }

    private Value? CallFunction(DataNode node, Value[] arguments, SourceLocation location)
    {
        if (_state.FunctionOverrides is not null && _state.FunctionOverrides.TryGetValue(node, out var replacement))
        {
            if (replacement.Function is null)
            {
                return replacement.Value;
            }

            node = replacement.Function;
        }

        if (node.Functions.Count == 0 && node.DefaultFunction is null)
        {
            return EvalNode(node);
        }

        if (++_depth > MaxDepth)
        {
            throw new RegoException("evaluation exceeded the maximum call depth", location);
        }

        try
        {
            Value? result = null;
            foreach (var definition in node.Functions)
            {
                if (definition.Parameters.Count != arguments.Length)
                {
                    throw new RegoException($"function {node.Name} expects {definition.Parameters.Count} arguments", location);
                }

                foreach (var branch in definition.Branches)
                {
                    var produced = false;
                    var frame = new Value?[definition.SlotCount];
                    try
                    {
                        if (BindParameters(definition.Parameters, arguments, frame))
                        {
                            EvalBody(definition, branch, frame, () => branch.Value is null ? Take(Value.True) : EvalTerm(branch.Value, frame, Take));
                        }
                        else
                        {
                            MatchParameters(definition.Parameters, arguments, 0, frame, () =>
                                EvalBody(definition, branch, frame, () => branch.Value is null ? Take(Value.True) : EvalTerm(branch.Value, frame, Take)));
                        }
                    }
                    catch (RegoException) when (!_strict)
                    {
                        // Without strict errors a failing definition is undefined; the others may still answer.
                        continue;
                    }

                    if (produced)
                    {
                        break;
                    }

                    bool Take(Value value)
                    {
                        if (result is not null && !result.Equals(value))
                        {
                            throw new RegoException("functions must not produce multiple outputs for same inputs", location);
                        }

                        result = value;
                        produced = true;
                        return true;
                    }
                }
            }

            if (result is null && node.DefaultFunction is { } fallback)
            {
                result = EvalFirst(fallback.Rule.Head.Value!, new Value?[fallback.SlotCount]);
            }

            return result;
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>Binds parameters that are all distinct plain variables straight into the (fresh) frame, without
    /// matching closures; false, with the frame left clear, when one needs matching.</summary>
    private static bool BindParameters(IReadOnlyList<Term> parameters, Value[] arguments, Value?[] frame)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i] is not VarTerm { Kind: VarKind.Local, Constant: null } v || frame[v.Slot] is not null)
            {
                Array.Clear(frame);
                return false;
            }

            frame[v.Slot] = arguments[i];
        }

        return true;
    }

    private bool MatchParameters(IReadOnlyList<Term> parameters, Value[] arguments, int index, Value?[] frame, Func<bool> next) =>
        index == parameters.Count
            ? next()
            : Match(parameters[index], arguments[index], frame, () => MatchParameters(parameters, arguments, index + 1, frame, next));
}
