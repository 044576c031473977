using Soma.Policy.Rego.Syntax;

namespace Soma.Policy.Rego;

/// <summary>A parsed Rego module: package, imports, rules.</summary>
public sealed class Module
{
    internal Module(string file, SourceLocation location, IReadOnlyList<string> package, IReadOnlyList<Import> imports, IReadOnlyList<Rule> rules)
    {
        File = file;
        Location = location;
        Package = package;
        Imports = imports;
        Rules = rules;
    }

    /// <summary>The file the module came from.</summary>
    public string File { get; }

    /// <summary>Where the package clause is.</summary>
    public SourceLocation Location { get; }

    /// <summary>The package path, e.g. <c>["soma", "tools"]</c>.</summary>
    public IReadOnlyList<string> Package { get; }

    internal IReadOnlyList<Import> Imports { get; }

    internal IReadOnlyList<Rule> Rules { get; }

    /// <summary>Whether the module imports <c>rego.v1</c> (then <c>p[x] if …</c> builds an object, not a set).</summary>
    internal bool IsV1 => Imports.Any(i => i.Path is RefTerm { Head: VarTerm { Name: "rego" }, Parts: [{ Key: ScalarTerm { Value: Values.StringValue { Value: "v1" } } }] });
}
