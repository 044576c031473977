using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Compilation;

internal sealed partial class Compiler
{
    private void Resolve(Term term, Scope scope, RuleContext context, List<Action> deferred)
    {
        switch (term)
        {
            case ScalarTerm:
                break;
            case VarTerm v:
                ResolveVar(v, scope, context, depend: true);
                break;
            case RefTerm r:
                if (r.Head is VarTerm headVar)
                {
                    ResolveVar(headVar, scope, context, depend: false);
                }
                else
                {
                    Resolve(r.Head, scope, context, deferred);
                }

                foreach (var part in r.Parts)
                {
                    Resolve(part.Key, scope, context, deferred);
                }

                if (r.Head is VarTerm { Kind: VarKind.Input } inputHead)
                {
                    var keys = r.Parts.TakeWhile(p => p.Key.Constant is { } key && key is not (ArrayValue or ObjectValue or SetValue)).Select(p => p.Key.Constant!);
                    r.InputPath = [.. inputHead.Path, .. keys];
                }

                if (r.Head is VarTerm { Kind: VarKind.Data } head)
                {
                    var path = new List<Value>(head.Node!.Path);
                    path.AddRange(head.Path);
                    var constantParts = 0;
                    while (constantParts < r.Parts.Count && r.Parts[constantParts].Key.Constant is { } key && key is not (ArrayValue or ObjectValue or SetValue))
                    {
                        path.Add(key);
                        constantParts++;
                    }

                    var (node, used) = Walk(path, stopAtRules: true);
                    var fromHead = head.Node.Path.Length + head.Path.Length;
                    if (used >= fromHead)
                    {
                        r.Node = node;
                        r.NodeParts = used - fromHead;
                    }

                    Depend(node, context, shallow: used < path.Count);
                }

                break;
            case ArrayTerm a:
                foreach (var item in a.Items)
                {
                    Resolve(item, scope, context, deferred);
                }

                if (a.Items.All(i => i.Constant is not null))
                {
                    a.Constant = Value.Array(a.Items.Select(i => i.Constant!));
                }

                break;
            case SetTerm s:
                foreach (var item in s.Items)
                {
                    Resolve(item, scope, context, deferred);
                }

                if (s.Items.All(i => i.Constant is not null))
                {
                    s.Constant = Value.Set(s.Items.Select(i => i.Constant!));
                }

                break;
            case ObjectTerm o:
                foreach (var (key, value) in o.Pairs)
                {
                    Resolve(key, scope, context, deferred);
                    Resolve(value, scope, context, deferred);
                }

                if (o.Pairs.All(p => p.Key.Constant is not null && p.Value.Constant is not null))
                {
                    var members = new Dictionary<Value, Value>();
                    foreach (var (key, value) in o.Pairs)
                    {
                        members[key.Constant!] = value.Constant!;
                    }

                    o.Constant = Value.Object(members);
                }

                break;
            case ComprehensionTerm c:
                deferred.Add(() =>
                {
                    var inner = new Scope(scope);
                    CompileBody(c.Body, inner, context, [], c.Key is null ? [c.Head] : [c.Key, c.Head], []);
                });
                break;
            case CallTerm call:
                ResolveCall(call, scope, context);
                foreach (var argument in call.Arguments)
                {
                    Resolve(argument, scope, context, deferred);
                }

                break;
            case BinaryTerm b:
                Resolve(b.Left, scope, context, deferred);
                Resolve(b.Right, scope, context, deferred);
                if (b.Operator >= BinaryOperator.Union && b.Operator != BinaryOperator.Unify)
                {
                    b.Builtin = Operators.Resolve(_builtins, b.Operator);
                }

                break;
            case MembershipTerm m:
                if (m.Key is not null)
                {
                    Resolve(m.Key, scope, context, deferred);
                }

                Resolve(m.Value, scope, context, deferred);
                Resolve(m.Collection, scope, context, deferred);
                break;
        }
    }

    private void ResolveVar(VarTerm v, Scope scope, RuleContext context, bool depend)
    {
        if (v.Kind != VarKind.Unresolved)
        {
            return;
        }

        if (v.IsWildcard)
        {
            v.Kind = VarKind.Wildcard;
            v.Slot = context.NewSlot("_");
            scope.Slots.Add(v.Slot);
            return;
        }

        if (scope.Lookup(v.Name) is { } slot)
        {
            v.Kind = VarKind.Local;
            v.Slot = slot;
            return;
        }

        if (GlobalName(v.Name, context.Module) is { } global)
        {
            if (global.Input)
            {
                v.Kind = VarKind.Input;
                v.Path = global.Path;
                return;
            }

            var (node, used) = Walk(global.Path, stopAtRules: true);
            v.Kind = VarKind.Data;
            v.Node = node;
            v.Path = global.Path[used..];
            if (depend)
            {
                Depend(node, context, shallow: used < global.Path.Length);
            }

            return;
        }

        v.Kind = VarKind.Local;
        v.Slot = context.NewSlot(v.Name);
        scope.Variables[v.Name] = v.Slot;
        scope.Slots.Add(v.Slot);
    }

    /// <summary>A rule reading <paramref name="node"/> depends on the rules below it and the rules above it that
    /// build it (partial objects); a reference continuing into the base document below the node (<paramref name="shallow"/>)
    /// reads no rule below it.</summary>
    private static void Depend(DataNode node, RuleContext context, bool shallow)
    {
        if (!shallow)
        {
            foreach (var below in node.Descendants())
            {
                if (below.HasRules)
                {
                    context.Dependencies.Add(below);
                }
            }
        }

        if (node.HasRules)
        {
            context.Dependencies.Add(node);
        }

        for (var above = node.Parent; above is not null; above = above.Parent)
        {
            if (above.HasValueRules)
            {
                context.Dependencies.Add(above);
            }
        }
    }

    private void ResolveCall(CallTerm call, Scope scope, RuleContext context)
    {
        var name = CallName(call.Function);
        if (name is null)
        {
            Error("invalid function name", call.Location);
            return;
        }

        var segments = name.Split('.');
        if (scope.Lookup(segments[0]) is not null)
        {
            Error($"cannot call variable `{segments[0]}`", call.Location);
            return;
        }

        var module = context.Module;
        var keys = segments.Skip(1).Select(s => (Value)Value.String(s));
        Value[]? path = null;
        var mustBeFunction = false;
        if (segments[0] == "data")
        {
            path = [.. keys];
            mustBeFunction = true;
        }
        else if (module.Imports.TryGetValue(segments[0], out var import))
        {
            path = import.Input ? null : [.. import.Path, .. keys];
            mustBeFunction = true;
        }
        else if (module.RuleRoots.Contains(segments[0]))
        {
            path = [.. module.Package, Value.String(segments[0]), .. keys];
        }

        if (path is not null)
        {
            var (node, used) = Walk(path);
            if (used == path.Length && (node.IsFunction || node.Complete.Any(r => r.Rule.Head.Parameters is not null)))
            {
                var parameters = node.Functions.FirstOrDefault()?.Parameters.Count ?? node.DefaultFunction?.Parameters.Count ?? 0;
                call.FunctionNode = node;
                CheckArity(call, name, parameters);
                context.Dependencies.Add(node);
                return;
            }
        }

        if (!mustBeFunction)
        {
            switch (name)
            {
                case "print":
                    call.Intrinsic = Intrinsic.Print;
                    return;
                case "walk":
                    call.Intrinsic = Intrinsic.Walk;
                    CheckArity(call, name, 1);
                    return;
                case "trace":
                    call.Intrinsic = Intrinsic.Trace;
                    CheckArity(call, name, 1);
                    return;
            }

            if (_builtins.TryGet(name, out var builtin))
            {
                call.Builtin = builtin;
                if (builtin.Arity >= 0)
                {
                    CheckArity(call, name, builtin.Arity);
                }

                return;
            }
        }

        Error($"could not find function `{name}`", call.Location);
    }

    private void CheckArity(CallTerm call, string name, int arity)
    {
        // An extra argument receives the result only when it can bind: a constant there is a wrong argument count.
        if (call.Arguments.Count == arity + 1 && PatternVars(call.Arguments[^1]).Any())
        {
            call.HasOutput = true;
        }
        else if (call.Arguments.Count != arity)
        {
            Error($"`{name}` expects {arity} argument{(arity == 1 ? string.Empty : "s")}, got {call.Arguments.Count}", call.Location);
        }
    }
}
