using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Soma.Tools.Generators;

/// <summary>
/// For each method marked <c>[Tool("name")]</c>, writes an <c>ITool</c> nested in the method's type (its name, the
/// description from the doc comment, the JSON Schema of its parameters, and the binding of JSON arguments to them), and
/// one <c>GeneratedTools.AddGeneratedTools()</c> per assembly that registers them all.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ToolGenerator : IIncrementalGenerator
{
    /// <summary>The attribute's metadata name.</summary>
    public const string AttributeName = "Soma.Tools.Sdk.ToolAttribute";

    /// <summary>The name of the step that reads each tool (tests check it is cached across unrelated edits).</summary>
    public const string TrackingName = "Tools";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var tools = context.SyntaxProvider
            .ForAttributeWithMetadataName(AttributeName, static (node, _) => node is MethodDeclarationSyntax, ToolParser.Parse)
            .Where(static t => t is not null)
            .Select(static (t, _) => t!)
            .WithTrackingName(TrackingName)
            .Collect();
        var assembly = context.CompilationProvider.Select(static (compilation, _) => new AssemblyModel(
            Namespace(compilation.AssemblyName),
            compilation.GetTypeByMetadataName("Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions") is not null));
        context.RegisterSourceOutput(tools.Combine(assembly), static (output, source) => Emit(output, source.Left, source.Right));
    }

    private static void Emit(SourceProductionContext output, ImmutableArray<ToolModel> tools, AssemblyModel assembly)
    {
        var generated = new List<ToolModel>();
        var duplicates = tools.GroupBy(t => t.Name, System.StringComparer.Ordinal).Where(g => g.Count() > 1).ToDictionary(g => g.Key, g => g.ToList(), System.StringComparer.Ordinal);
        foreach (var tool in tools.OrderBy(t => t.Name, System.StringComparer.Ordinal).ThenBy(t => t.ContainerFullName, System.StringComparer.Ordinal))
        {
            foreach (var diagnostic in tool.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (duplicates.TryGetValue(tool.Name, out var same))
            {
                var methods = string.Join(", ", same.Select(t => t.ContainerFullName.Replace("global::", string.Empty) + "." + t.MethodName));
                output.ReportDiagnostic(Diagnostic.Create(ToolDiagnostics.DuplicateName, tool.Location?.ToLocation(), tool.Name, methods));
                continue;
            }

            if (tool.HasErrors)
            {
                continue;
            }

            output.AddSource(ToolEmitter.HintName(tool), SourceText.From(ToolEmitter.Tool(tool), Encoding.UTF8));
            generated.Add(tool);
        }

        if (generated.Count > 0)
        {
            output.AddSource("GeneratedTools.g.cs", SourceText.From(ToolEmitter.Registration(assembly, generated), Encoding.UTF8));
        }
    }

    // The assembly's name as a namespace: Soma.Tools → Soma.Tools; "my-tools" → my_tools.
    private static string Namespace(string? assemblyName)
    {
        var parts = (assemblyName ?? "Tools").Split('.')
            .Select(p => new string([.. p.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '_')]))
            .Select(p => p.Length == 0 || char.IsDigit(p[0]) ? "_" + p : p);
        return string.Join(".", parts);
    }
}
