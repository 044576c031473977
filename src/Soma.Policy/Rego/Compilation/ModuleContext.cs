using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Compilation;

/// <summary>What names mean inside one module: its package's rules and its imports.</summary>
internal sealed class ModuleContext(Module? module, Value[] package)
{
    public Module? Module { get; } = module;

    public Value[] Package { get; } = package;

    /// <summary>Rules of the package named by a single identifier (<c>allow</c>, <c>f</c>).</summary>
    public HashSet<string> ExactRules { get; } = new(StringComparer.Ordinal);

    /// <summary>First identifiers of every rule head of the package (<c>a</c> for <c>a.b.c := 1</c>).</summary>
    public HashSet<string> RuleRoots { get; } = new(StringComparer.Ordinal);

    /// <summary>Import aliases: whether under <c>input</c>, and the path below the root.</summary>
    public Dictionary<string, (bool Input, Value[] Path)> Imports { get; } = new(StringComparer.Ordinal);

    public string File => Module?.File ?? "query";
}
