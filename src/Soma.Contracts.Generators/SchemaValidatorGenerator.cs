using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Soma.Contracts.Generators;

/// <summary>
/// Compiles the JSON Schema files given to the compiler as <c>AdditionalFiles</c> (<c>*.json</c>) into
/// <c>CompiledSchemas</c>: a validation method per schema, in the assembly's <c>.Schemas</c> namespace. The generated
/// code calls <c>Soma.Contracts.Schemas.SchemaChecks</c> for what is not a walk of the document (lengths, numbers,
/// patterns).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SchemaValidatorGenerator : IIncrementalGenerator
{
    /// <summary>The name of the step that reads the schema files (tests check it is cached across unrelated edits).</summary>
    public const string TrackingName = "SchemaFiles";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(static t => t.Path.EndsWith(".json", System.StringComparison.OrdinalIgnoreCase))
            .Select(static (t, ct) => new SchemaFile(t.Path, t.GetText(ct)?.ToString() ?? ""))
            .WithTrackingName(TrackingName)
            .Collect();
        var assembly = context.CompilationProvider.Select(static (c, _) => c.AssemblyName ?? "Schemas");
        context.RegisterSourceOutput(files.Combine(assembly), static (output, source) =>
        {
            if (source.Left.IsEmpty)
            {
                return;
            }

            var (code, diagnostics) = SchemaCompiler.Compile(source.Left, Namespace(source.Right) + ".Schemas");
            foreach (var diagnostic in diagnostics)
            {
                output.ReportDiagnostic(diagnostic);
            }

            if (code is not null)
            {
                output.AddSource("CompiledSchemas.g.cs", SourceText.From(code, Encoding.UTF8));
            }
        });
    }

    // The assembly's name as a namespace: Soma.Contracts → Soma.Contracts; "my-schemas" → my_schemas.
    private static string Namespace(string assemblyName)
    {
        var parts = assemblyName.Split('.')
            .Select(p => new string([.. p.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '_')]))
            .Select(p => p.Length == 0 || char.IsDigit(p[0]) ? "_" + p : p);
        return string.Join(".", parts);
    }
}
