using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Compilation;

internal sealed partial class Compiler
{
    private readonly Dictionary<RuleDefinition, HashSet<DataNode>> _dependencies = [];

    private void CompileRule(RuleDefinition definition, ModuleContext module)
    {
        var rule = definition.Rule;
        var context = new RuleContext(module);
        var parameterScope = new Scope(null);
        var bound = new HashSet<int>();
        var parameterNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var parameter in definition.Parameters)
        {
            DeclarePattern(parameter, parameterScope, context, parameterNames);
            Resolve(parameter, parameterScope, context, []);
            bound.UnionWith(parameterScope.Slots);
        }

        if (rule.IsDefault)
        {
            CheckDefault(rule.Head.Value!);
            var scope = new Scope(parameterScope);
            var deferred = new List<Action>();
            Resolve(rule.Head.Value!, scope, context, deferred);
            RunDeferred(deferred);
            definition.Branches.Add(new RuleBranch(rule.Head.Value, null, rule.Location));
        }
        else
        {
            var headTerms = new List<Term>();
            if (rule.Head.Value is not null)
            {
                headTerms.Add(rule.Head.Value);
            }

            if (definition.SetKey is not null)
            {
                headTerms.Add(definition.SetKey);
            }

            headTerms.AddRange(definition.DynamicKeys);
            var scope = new Scope(parameterScope);
            CompileBody(rule.Body, scope, context, bound, headTerms, parameterNames);
            definition.Branches.Add(new RuleBranch(rule.Head.Value, rule.Body, rule.Location));
            for (var clause = rule.Else; clause is not null; clause = clause.Next)
            {
                var elseScope = new Scope(parameterScope);
                CompileBody(clause.Body, elseScope, context, bound, clause.Value is null ? [] : [clause.Value], parameterNames);
                definition.Branches.Add(new RuleBranch(clause.Value, clause.Body, clause.Location));
            }
        }

        definition.SlotCount = context.SlotNames.Count;
        _dependencies[definition] = context.Dependencies;
    }

    private void CheckDefault(Term term)
    {
        var kind = term switch
        {
            ScalarTerm or ComprehensionTerm => null,
            VarTerm => "var",
            CallTerm => "call",
            RefTerm => "ref",
            MembershipTerm => "membership",
            BinaryTerm { Operator: BinaryOperator.Union or BinaryOperator.Intersection } => "binexpr",
            BinaryTerm { Operator: >= BinaryOperator.Equal and <= BinaryOperator.GreaterOrEqual } => "boolexpr",
            BinaryTerm { Operator: >= BinaryOperator.Plus } => "arithexpr",
            BinaryTerm => "assignexpr",
            _ => null,
        };
        if (kind is not null)
        {
            Error($"invalid `{kind}` in default value", term.Location);
            return;
        }

        switch (term)
        {
            case ArrayTerm a:
                a.Items.ToList().ForEach(CheckDefault);
                break;
            case SetTerm s:
                s.Items.ToList().ForEach(CheckDefault);
                break;
            case ObjectTerm o:
                foreach (var (key, value) in o.Pairs)
                {
                    CheckDefault(key);
                    CheckDefault(value);
                }

                break;
        }
    }

    private static void RunDeferred(List<Action> deferred)
    {
        for (var i = 0; i < deferred.Count; i++)
        {
            deferred[i]();
        }
    }

    /// <summary>Declares the variables of a parameter or <c>some</c> pattern in <paramref name="scope"/>.</summary>
    private void DeclarePattern(Term pattern, Scope scope, RuleContext context, HashSet<string> declared)
    {
        switch (pattern)
        {
            case VarTerm { IsWildcard: true }:
                break;
            case VarTerm v:
                if (!declared.Add(v.Name) || scope.Variables.ContainsKey(v.Name))
                {
                    Error($"var `{v.Name}` used before definition below", v.Location);
                    break;
                }

                var slot = context.NewSlot(v.Name);
                scope.Variables[v.Name] = slot;
                scope.Slots.Add(slot);
                break;
            case ArrayTerm a:
                foreach (var item in a.Items)
                {
                    DeclarePattern(item, scope, context, declared);
                }

                break;
            case ObjectTerm o:
                foreach (var (_, value) in o.Pairs)
                {
                    DeclarePattern(value, scope, context, declared);
                }

                break;
        }
    }

    /// <summary>
    /// Compiles a body: declares its variables, resolves names, compiles nested comprehensions and <c>every</c>
    /// bodies, then orders the literals for safety and checks the head's variables get bound.
    /// </summary>
    private void CompileBody(Query? body, Scope scope, RuleContext context, HashSet<int> outerBound, IReadOnlyList<Term> headTerms, HashSet<string> initiallySeen)
    {
        var literals = body?.Literals ?? [];
        var seen = new HashSet<string>(initiallySeen, StringComparer.Ordinal);
        foreach (var literal in literals)
        {
            var declared = new HashSet<string>(StringComparer.Ordinal);
            switch (literal)
            {
                case SomeLiteral some:
                    foreach (var v in some.Variables)
                    {
                        DeclareOne(v);
                    }

                    break;
                case SomeInLiteral someIn:
                    foreach (var v in PatternVars(someIn.Key).Concat(PatternVars(someIn.Value)))
                    {
                        DeclareOne(v);
                    }

                    break;
                case ExpressionLiteral { Negated: false, Expression: BinaryTerm { Operator: BinaryOperator.Assign } assign }:
                    if (assign.Left is not (VarTerm or ArrayTerm or ObjectTerm) || !PatternVars(assign.Left).Any())
                    {
                        Error("assignment operator := requires left-hand side to have bindable variables", assign.Location);
                    }

                    foreach (var v in PatternVars(assign.Left))
                    {
                        DeclareOne(v);
                    }

                    break;
            }

            foreach (var name in DirectNames(literal))
            {
                if (!declared.Contains(name))
                {
                    seen.Add(name);
                }
            }

            void DeclareOne(VarTerm v)
            {
                if (v.IsWildcard)
                {
                    return;
                }

                if (seen.Contains(v.Name) || !declared.Add(v.Name))
                {
                    Error($"var `{v.Name}` used before definition below", v.Location);
                    return;
                }

                seen.Add(v.Name);
                var slot = context.NewSlot(v.Name);
                scope.Variables[v.Name] = slot;
                scope.Slots.Add(slot);
            }
        }

        var deferred = new List<Action>();
        foreach (var literal in literals)
        {
            ResolveLiteral(literal, scope, context, deferred);
        }

        foreach (var term in headTerms)
        {
            Resolve(term, scope, context, deferred);
        }

        RunDeferred(deferred);
        if (body is not null)
        {
            var bound = new HashSet<int>(outerBound);
            body.Ordered = Order(body, scope, context, bound);
            foreach (var term in headTerms)
            {
                var inputs = new HashSet<int>();
                CollectSlots(term, scope.Slots, inputs);
                foreach (var slot in inputs.Where(s => !bound.Contains(s)))
                {
                    Error($"var `{context.SlotNames[slot]}` is unsafe", term.Location);
                }
            }
        }
        else
        {
            foreach (var term in headTerms)
            {
                var inputs = new HashSet<int>();
                CollectSlots(term, scope.Slots, inputs);
                foreach (var slot in inputs.Where(s => !outerBound.Contains(s)))
                {
                    Error($"var `{context.SlotNames[slot]}` is unsafe", term.Location);
                }
            }
        }
    }

    private static IEnumerable<VarTerm> PatternVars(Term? term) => term switch
    {
        VarTerm v => [v],
        ArrayTerm a => a.Items.SelectMany(PatternVars),
        ObjectTerm o => o.Pairs.SelectMany(p => PatternVars(p.Value)),
        _ => [],
    };

    /// <summary>Variable names in a literal outside nested comprehensions and <c>every</c> bodies.</summary>
    private static List<string> DirectNames(Literal literal)
    {
        var names = new List<string>();
        switch (literal)
        {
            case ExpressionLiteral e:
                Names(e.Expression);
                break;
            case SomeInLiteral s:
                Names(s.Key);
                Names(s.Value);
                Names(s.Collection);
                break;
            case EveryLiteral every:
                Names(every.Domain);
                break;
        }

        foreach (var with in literal.With)
        {
            Names(with.Value);
        }

        return names;

        void Names(Term? term)
        {
            switch (term)
            {
                case VarTerm { IsWildcard: false } v:
                    names.Add(v.Name);
                    break;
                case RefTerm r:
                    Names(r.Head);
                    foreach (var part in r.Parts)
                    {
                        Names(part.Key);
                    }

                    break;
                case ArrayTerm a:
                    a.Items.ToList().ForEach(Names);
                    break;
                case SetTerm s:
                    s.Items.ToList().ForEach(Names);
                    break;
                case ObjectTerm o:
                    foreach (var (key, value) in o.Pairs)
                    {
                        Names(key);
                        Names(value);
                    }

                    break;
                case CallTerm c:
                    c.Arguments.ToList().ForEach(Names);
                    break;
                case BinaryTerm b:
                    Names(b.Left);
                    Names(b.Right);
                    break;
                case MembershipTerm m:
                    Names(m.Key);
                    Names(m.Value);
                    Names(m.Collection);
                    break;
            }
        }
    }

    private void ResolveLiteral(Literal literal, Scope scope, RuleContext context, List<Action> deferred)
    {
        switch (literal)
        {
            case ExpressionLiteral e:
                Resolve(e.Expression, scope, context, deferred);
                if (e.Expression is BinaryTerm { Operator: BinaryOperator.Unify or BinaryOperator.Assign } b)
                {
                    CheckPatterns(b.Left, b.Right);
                }

                break;
            case SomeLiteral s:
                foreach (var v in s.Variables)
                {
                    Resolve(v, scope, context, deferred);
                }

                break;
            case SomeInLiteral s:
                if (s.Key is not null)
                {
                    Resolve(s.Key, scope, context, deferred);
                }

                Resolve(s.Value, scope, context, deferred);
                Resolve(s.Collection, scope, context, deferred);
                break;
            case EveryLiteral every:
                Resolve(every.Domain, scope, context, deferred);
                deferred.Add(() =>
                {
                    var inner = new Scope(scope);
                    var declared = new HashSet<string>(StringComparer.Ordinal);
                    var bound = new HashSet<int>();
                    foreach (var v in new[] { every.Key, every.Value })
                    {
                        if (v is null)
                        {
                            continue;
                        }

                        var slot = context.NewSlot(v.Name);
                        v.Kind = v.IsWildcard ? VarKind.Wildcard : VarKind.Local;
                        v.Slot = slot;
                        inner.Slots.Add(slot);
                        bound.Add(slot);
                        if (!v.IsWildcard)
                        {
                            inner.Variables[v.Name] = slot;
                            declared.Add(v.Name);
                        }
                    }

                    CompileBody(every.Body, inner, context, bound, [], declared);
                });
                break;
        }

        foreach (var with in literal.With)
        {
            ResolveWith(with, context);
            Resolve(with.Value, scope, context, deferred);
            if ((with.Function is not null || with.Builtin is not null) && with.Value is VarTerm or RefTerm)
            {
                var path = GlobalPath(with.Value, context.Module);
                if (path is { Input: false } && Walk(path.Value.Path) is var (node, used) && used == path.Value.Path.Length && node.IsFunction)
                {
                    with.ReplacementFunction = node;
                }
            }
        }
    }

    private void CheckPatterns(Term left, Term right)
    {
        switch (left, right)
        {
            case (ArrayTerm a, ArrayTerm b):
                if (a.Items.Count != b.Items.Count)
                {
                    Error("mismatch in number of array elements", left.Location);
                    return;
                }

                for (var i = 0; i < a.Items.Count; i++)
                {
                    CheckPatterns(a.Items[i], b.Items[i]);
                }

                break;
            case (ArrayTerm, ObjectTerm) or (ObjectTerm, ArrayTerm):
                Error("incompatible destructuring patterns: both sides must be arrays or objects with matching structure", left.Location);
                break;
            case (ObjectTerm a, ObjectTerm b):
                if (a.Pairs.All(p => p.Key.Constant is not null) && b.Pairs.All(p => p.Key.Constant is not null))
                {
                    var leftKeys = a.Pairs.Select(p => p.Key.Constant!).Order().ToList();
                    var rightKeys = b.Pairs.Select(p => p.Key.Constant!).Order().ToList();
                    if (!leftKeys.SequenceEqual(rightKeys))
                    {
                        Error($"object literal keys mismatch. Expected keys [{string.Join(", ", leftKeys)}] got [{string.Join(", ", rightKeys)}].", left.Location);
                    }
                }

                break;
        }
    }

    /// <summary>The root and path a variable or constant reference names globally (ignoring locals).</summary>
    private static (bool Input, Value[] Path)? GlobalPath(Term term, ModuleContext module)
    {
        var (head, parts) = term switch
        {
            VarTerm v => (v, (IReadOnlyList<RefPart>)[]),
            RefTerm { Head: VarTerm v } r => (v, r.Parts),
            _ => (null, []),
        };
        if (head is null || parts.Any(p => p.Key.Constant is null))
        {
            return null;
        }

        var root = GlobalName(head.Name, module);
        if (root is null)
        {
            return null;
        }

        return (root.Value.Input, [.. root.Value.Path, .. parts.Select(p => p.Key.Constant!)]);
    }

    /// <summary>What a name means when no local variable has it: a rule, an import, <c>data</c> or <c>input</c>.</summary>
    private static (bool Input, Value[] Path)? GlobalName(string name, ModuleContext module)
    {
        if (module.ExactRules.Contains(name))
        {
            return (false, [.. module.Package, Value.String(name)]);
        }

        if (module.Imports.TryGetValue(name, out var import))
        {
            return import;
        }

        return name switch
        {
            "data" => (false, []),
            "input" => (true, []),
            _ => module.RuleRoots.Contains(name) ? (false, [.. module.Package, Value.String(name)]) : null,
        };
    }

    private void ResolveWith(WithModifier with, RuleContext context)
    {
        var target = GlobalPath(with.Target, context.Module);
        var name = CallName(with.Target);
        if (target is null)
        {
            if (name is not null && _builtins.TryGet(name, out _))
            {
                with.Builtin = name;
                return;
            }

            Error("`with` target must be a reference under input or data, or a builtin", with.Location);
            return;
        }

        with.TargetsInput = target.Value.Input;
        with.Path = target.Value.Path;
        if (!target.Value.Input)
        {
            var (node, used) = Walk(with.Path);
            if (used == with.Path.Length && node.IsFunction)
            {
                with.Function = node;
            }
        }
    }

    private static string? CallName(Term term) => term switch
    {
        VarTerm v => v.Name,
        RefTerm { Head: VarTerm v } r when r.Parts.All(p => p.Key.Constant is StringValue) =>
            v.Name + string.Concat(r.Parts.Select(p => "." + ((StringValue)p.Key.Constant!).Value)),
        _ => null,
    };
}
