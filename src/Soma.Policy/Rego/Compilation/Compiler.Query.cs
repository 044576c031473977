

namespace Soma.Policy.Rego.Compilation;

internal sealed partial class Compiler
{
    /// <summary>Compiles a query against the compiled modules (callers serialize calls).</summary>
    public QueryPlan CompileQuery(Query query)
    {
        _errors.Clear();
        var context = new RuleContext(new ModuleContext(null, []));
        var scope = new Scope(null);
        CompileBody(query, scope, context, [], [], []);
        ThrowIfErrors();
        var bindings = scope.Variables.Where(v => !v.Key.StartsWith('_')).Select(v => (v.Key, v.Value)).OrderBy(v => v.Key, StringComparer.Ordinal).ToList();
        return new QueryPlan(query, context.SlotNames.Count, bindings);
    }

}
