using Soma.Policy.Rego.Builtins;
using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego;

/// <summary>Compiles Rego modules into a policy that evaluates queries.</summary>
public sealed class RegoCompiler
{
    private RegoCompiler()
    {
    }

    /// <summary>
    /// Parses and compiles <paramref name="modules"/> together with the base document <paramref name="data"/>; throws
    /// <see cref="RegoException"/> listing every error (each with <c>file:line:column</c>).
    /// </summary>
    public static CompiledPolicy Compile(IReadOnlyList<RegoSource> modules, Value? data = null, BuiltinRegistry? builtins = null)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var parsed = new List<Module>();
        var errors = new List<string>();
        foreach (var source in modules)
        {
            try
            {
                parsed.Add(RegoParser.ParseModule(source));
            }
            catch (RegoException e)
            {
                errors.Add(e.Message);
            }
        }

        if (errors.Count > 0)
        {
            throw new RegoException(errors.Count == 1 ? errors[0] : $"{errors.Count} errors:\n" + string.Join('\n', errors));
        }

        var compiler = new Compiler(builtins ?? BuiltinRegistry.Default);
        compiler.CompileModules(parsed);
        return new CompiledPolicy(compiler, data ?? Value.EmptyObject);
    }
}
