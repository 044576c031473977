using Soma.Policy.Rego.Builtins;
using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Compilation;

/// <summary>
/// Turns parsed modules into an indexed rule tree: merges modules by package, classifies rules, resolves every name
/// (locals to frame slots, rules and imports to tree nodes, calls to builtins or functions), orders each body so a
/// literal runs after the literals binding its variables, and reports every error with its place.
/// </summary>
internal sealed partial class Compiler
{
    private readonly BuiltinRegistry _builtins;
    private readonly List<string> _errors = [];
    private readonly List<RuleDefinition> _rules = [];
    private readonly Dictionary<string, ModuleContext> _packages = new(StringComparer.Ordinal);
    private int _nodeCount;

    public Compiler(BuiltinRegistry builtins)
    {
        _builtins = builtins;
        Root = new DataNode(_nodeCount++, Value.Null, null);
    }

    public DataNode Root { get; }

    public int NodeCount => _nodeCount;

    public IReadOnlyList<RuleDefinition> Rules => _rules;

    public IEnumerable<string> Packages => _packages.Keys;

    private void Error(string message, SourceLocation? location) => _errors.Add(location is null ? message : $"{location}: {message}");

    private void ThrowIfErrors()
    {
        if (_errors.Count > 0)
        {
            var errors = _errors.Distinct().ToList();
            throw new RegoException(errors.Count == 1 ? errors[0] : $"{errors.Count} errors:\n" + string.Join('\n', errors));
        }
    }

    public void CompileModules(IReadOnlyList<Module> modules)
    {
        var contexts = new List<ModuleContext>();
        foreach (var module in modules)
        {
            var package = module.Package.Select(p => (Value)Value.String(p)).ToArray();
            var key = string.Join('.', module.Package);
            if (!_packages.TryGetValue(key, out var shared))
            {
                shared = new ModuleContext(null, package);
                _packages[key] = shared;
            }

            foreach (var rule in module.Rules)
            {
                shared.RuleRoots.Add(rule.Head.Name);
                if (rule.Head.Parts.Count == 0)
                {
                    shared.ExactRules.Add(rule.Head.Name);
                }
            }
        }

        foreach (var module in modules)
        {
            var shared = _packages[string.Join('.', module.Package)];
            NodeAt(shared.Package).IsPackage = true;
            var context = new ModuleContext(module, shared.Package);
            context.ExactRules.UnionWith(shared.ExactRules);
            context.RuleRoots.UnionWith(shared.RuleRoots);
            AddImports(module, context);
            contexts.Add(context);
            foreach (var rule in module.Rules)
            {
                Place(rule, context);
            }
        }

        CheckKinds();
        ThrowIfErrors();
        foreach (var definition in _rules)
        {
            CompileRule(definition, contexts.First(c => ReferenceEquals(c.Module, definition.Module)));
        }

        CheckRecursion();
        ThrowIfErrors();
    }

    private void AddImports(Module module, ModuleContext context)
    {
        foreach (var import in module.Imports)
        {
            var (root, keys) = import.Path switch
            {
                VarTerm v => (v.Name, new List<Value?>()),
                RefTerm { Head: VarTerm v } r => (v.Name, r.Parts.Select(p => p.Key.Constant).ToList()),
                _ => (string.Empty, []),
            };
            if (root is "future" or "rego")
            {
                continue;
            }

            if (keys.Any(k => k is null))
            {
                Error("import path must be constant", import.Location);
                continue;
            }

            var path = keys.Select(k => k!).ToArray();
            var alias = import.Alias ?? (path.Length == 0 ? root : path[^1] is StringValue s ? s.Value : null);
            if (alias is null)
            {
                Error("import needs an alias", import.Location);
                continue;
            }

            context.Imports[alias] = (root == "input", path);
        }
    }

    public DataNode NodeAt(IEnumerable<Value> path)
    {
        var node = Root;
        foreach (var key in path)
        {
            if (!node.Children.TryGetValue(key, out var child))
            {
                child = new DataNode(_nodeCount++, key, node);
                node.Children[key] = child;
            }

            node = child;
        }

        return node;
    }

    /// <summary>The deepest existing node along <paramref name="path"/>, and how many keys it used. With
    /// <paramref name="stopAtRules"/> the walk stops at a node whose rules build its value (a partial object's keys
    /// may extend a static child below it, so the value must come from that node).</summary>
    public (DataNode Node, int Used) Walk(IReadOnlyList<Value> path, bool stopAtRules = false)
    {
        var node = Root;
        var used = 0;
        while (used < path.Count && !(stopAtRules && node.Dynamic.Count > 0) && node.Child(path[used]) is { } child)
        {
            node = child;
            used++;
        }

        return (node, used);
    }

    private void Place(Rule rule, ModuleContext context)
    {
        var head = rule.Head;
        var module = context.Module!;
        var path = new List<Value>(context.Package) { Value.String(head.Name) };
        var staticParts = 0;
        foreach (var part in head.Parts)
        {
            if (part.Key is not ScalarTerm scalar)
            {
                break;
            }

            path.Add(scalar.Value);
            staticParts++;
        }

        var allStatic = staticParts == head.Parts.Count;
        if (head.Parameters is { Count: > 0 } parameters)
        {
            if (!allStatic)
            {
                Error("function names must be constant references", rule.Location);
                return;
            }

            var node = NodeAt(path);
            var definition = new RuleDefinition(rule, RuleKind.Function, node, module.File) { Parameters = parameters, Module = module };
            if (rule.IsDefault)
            {
                node.DefaultFunction = definition;
            }
            else
            {
                node.Functions.Add(definition);
            }

            _rules.Add(definition);
            return;
        }

        var isSet = head.ContainsKey is not null
            || (head.Value is null && !rule.IsDefault && !module.IsV1 && head.Parts.Count == 1 && head.Parameters is null);
        if (rule.IsDefault)
        {
            if (!allStatic)
            {
                Error("default rules must have constant references", rule.Location);
                return;
            }

            var node = NodeAt(path);
            if (node.Default is not null)
            {
                Error($"multiple default rules {node.Name} found", rule.Location);
            }

            node.Default = new RuleDefinition(rule, RuleKind.Complete, node, module.File) { Module = module };
            _rules.Add(node.Default);
            return;
        }

        RuleDefinition placed;
        if (isSet)
        {
            var key = head.ContainsKey ?? head.Parts[^1].Key;
            var keyParts = head.ContainsKey is null ? head.Parts.Take(head.Parts.Count - 1).ToList() : [.. head.Parts];
            var prefix = Math.Min(staticParts, keyParts.Count);
            var node = NodeAt(path.Take(context.Package.Length + 1 + prefix));
            if (prefix == keyParts.Count)
            {
                placed = new RuleDefinition(rule, RuleKind.Set, node, module.File) { SetKey = key, Module = module };
                node.Sets.Add(placed);
            }
            else
            {
                placed = new RuleDefinition(rule, RuleKind.Dynamic, node, module.File)
                {
                    SetKey = key,
                    SetLeaf = true,
                    DynamicKeys = [.. keyParts.Skip(prefix).Select(p => p.Key)],
                    Module = module,
                };
                node.Dynamic.Add(placed);
            }
        }
        else if (allStatic)
        {
            var node = NodeAt(path);
            placed = new RuleDefinition(rule, RuleKind.Complete, node, module.File) { Module = module, Parameters = head.Parameters ?? [] };
            node.Complete.Add(placed);
        }
        else
        {
            var node = NodeAt(path);
            placed = new RuleDefinition(rule, RuleKind.Dynamic, node, module.File)
            {
                DynamicKeys = [.. head.Parts.Skip(staticParts).Select(p => p.Key)],
                Module = module,
            };
            node.Dynamic.Add(placed);
        }

        _rules.Add(placed);
    }

    /// <summary>A path is defined one way: by complete rules, a set, an object, functions (of one arity), or the
    /// rules of the paths below it.</summary>
    private void CheckKinds()
    {
        foreach (var node in Root.Descendants())
        {
            var complete = node.Complete.Count > 0 || node.Default is not null;
            var function = node.Functions.Count > 0 || node.DefaultFunction is not null;
            var kinds = (complete ? 1 : 0) + (node.Sets.Count > 0 ? 1 : 0) + (function ? 1 : 0) + (node.Dynamic.Count > 0 ? 1 : 0);
            var first = node.Complete.Concat(node.Sets).Concat(node.Functions).Concat(node.Dynamic).FirstOrDefault() ?? node.Default ?? node.DefaultFunction;
            if (kinds > 1)
            {
                Error($"conflicting rules `{node.Name}` found: a path is either a value, a set, an object or a function", first?.Location);
            }
            else if ((complete || node.Sets.Count > 0 || function) && node.Children.Values.Any(c => c.Descendants().Any(d => d.HasRules)))
            {
                Error($"conflicting rules `{node.Name}` found: rules also define paths below it", first?.Location);
            }

            var arities = node.Functions.Concat(node.DefaultFunction is null ? [] : [node.DefaultFunction]).Select(f => f.Parameters.Count).Distinct().Count();
            if (arities > 1)
            {
                Error($"function `{node.Name}` has definitions with different numbers of parameters", first?.Location);
            }
        }
    }

    private void CheckRecursion()
    {
        var edges = new Dictionary<DataNode, HashSet<DataNode>>();
        foreach (var rule in _rules)
        {
            if (!edges.TryGetValue(rule.Node, out var set))
            {
                set = [];
                edges[rule.Node] = set;
            }

            set.UnionWith(_dependencies.GetValueOrDefault(rule) ?? []);
        }

        var state = new Dictionary<DataNode, int>();
        foreach (var node in edges.Keys)
        {
            if (Visit(node))
            {
                return;
            }
        }

        bool Visit(DataNode node)
        {
            switch (state.GetValueOrDefault(node))
            {
                case 1:
                    var rule = _rules.First(r => r.Node == node);
                    Error($"recursion detected: rule {node.Name} depends on itself", rule.Location);
                    return true;
                case 2:
                    return false;
            }

            state[node] = 1;
            foreach (var next in edges.GetValueOrDefault(node) ?? [])
            {
                if (Visit(next))
                {
                    return true;
                }
            }

            state[node] = 2;
            return false;
        }
    }
}
