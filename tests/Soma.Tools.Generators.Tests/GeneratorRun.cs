using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Soma.Tools.Sdk;

namespace Soma.Tools.Generators.Tests;

/// <summary>Runs the tools generator over a source file the way the compiler does, doc comments kept.</summary>
internal sealed record GeneratorRun(ImmutableArray<Diagnostic> Diagnostics, Compilation Output, ImmutableArray<SyntaxTree> Generated)
{
    public static readonly MetadataReference[] References = [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Append(typeof(ToolAttribute).Assembly.Location)
        .Distinct(StringComparer.Ordinal)
        .Select(path => MetadataReference.CreateFromFile(path))];

    public static GeneratorRun Of(string source, DocumentationMode documentation = DocumentationMode.Diagnose)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest, documentation);
        var compilation = CSharpCompilation.Create(
            "Sample.Tools",
            [CSharpSyntaxTree.ParseText(source, options, "Sample.cs")],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new ToolGenerator().AsSourceGenerator()], parseOptions: options);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var generated = driver.GetRunResult().GeneratedTrees;
        return new GeneratorRun(diagnostics, output, generated);
    }

    /// <summary>The ids of the generator's diagnostics, in order.</summary>
    public IEnumerable<string> Ids => Diagnostics.Select(d => d.Id);

    /// <summary>Compiler errors of the compilation with the generated code.</summary>
    public IEnumerable<Diagnostic> CompileErrors => Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error);
}
