using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Soma.Contracts.Generators.Tests;

/// <summary>Runs the schema generator over schema files the way the compiler does, with the checks it calls.</summary>
internal sealed record GeneratorRun(ImmutableArray<Diagnostic> Diagnostics, Compilation Output, ImmutableArray<SyntaxTree> Generated)
{
    private static readonly MetadataReference[] References = [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Select(path => MetadataReference.CreateFromFile(path))];

    public static GeneratorRun Of(params (string Name, string Json)[] schemas)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        // The generated code calls SchemaChecks in Soma.Contracts: compile the real one beside it.
        var checks = File.ReadAllText(Path.Combine(Root(), "src", "Soma.Contracts", "Schemas", "SchemaChecks.cs"));
        var compilation = CSharpCompilation.Create(
            "Soma.Contracts",
            [CSharpSyntaxTree.ParseText("global using System; global using System.Linq;\n" + checks, options, "SchemaChecks.cs")],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new SchemaValidatorGenerator().AsSourceGenerator()],
            [.. schemas.Select(s => (AdditionalText)new SchemaText("/schemas/" + s.Name + ".json", s.Json))],
            options);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorRun(diagnostics, output, driver.GetRunResult().GeneratedTrees);
    }

    public IEnumerable<string> Ids => Diagnostics.Select(d => d.Id);

    public IEnumerable<Diagnostic> CompileErrors => Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error);

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SomaAgent.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (SomaAgent.slnx) above " + AppContext.BaseDirectory);
    }

    private sealed class SchemaText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
    }
}
