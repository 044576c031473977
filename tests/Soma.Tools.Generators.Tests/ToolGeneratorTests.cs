using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Soma.Tools.Generators.Tests;

/// <summary>The generator's diagnostics: a tool it cannot write is an error at the method or parameter, naming the problem.</summary>
public sealed class ToolGeneratorTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.ComponentModel.DataAnnotations;
        using System.Threading;
        using System.Threading.Tasks;
        using Soma.Tools.Registry;
        using Soma.Tools.Sdk;

        namespace Sample;

        """;

    [Fact]
    public void A_well_formed_tool_compiles_with_its_registration_and_no_diagnostic()
    {
        var run = GeneratorRun.Of(Usings + """
            public static partial class Clock
            {
                /// <summary>Says the hour.</summary>
                /// <param name="zone">A zone.</param>
                /// <param name="hours">Hours to add.</param>
                [Tool("clock.hour")]
                public static string Hour(ToolContext context, string zone, [Range(-12, 12)] int hours = 0, CancellationToken cancellationToken = default) => zone;
            }
            """);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        Assert.Equal(["Sample.Clock.HourTool.g.cs", "GeneratedTools.g.cs"], run.Generated.Select(t => Path.GetFileName(t.FilePath)));
        Assert.Contains("namespace Sample.Tools;", run.Generated[1].ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DateTime when")]
    [InlineData("object anything")]
    [InlineData("Dictionary<string, string> map")]
    [InlineData("int[][] grid")]
    [InlineData("List<int?> maybes")]
    public void An_unsupported_parameter_type_is_SOMA001_at_the_parameter(string parameter)
    {
        var run = GeneratorRun.Of(Usings + $$"""
            public static partial class T
            {
                /// <summary>Does it.</summary>
                /// <param name="{{parameter.Split(' ')[^1]}}">A value.</param>
                [Tool("t.one")]
                public static string One({{parameter}}) => "";
            }
            """);
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("SOMA001", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains($"Parameter '{parameter.Split(' ')[^1]}' of tool 't.one'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(parameter.Split(' ')[^1], run.Output.SyntaxTrees.First().GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Fact]
    public void A_tool_without_a_summary_is_SOMA002_and_is_not_generated()
    {
        var run = GeneratorRun.Of(Usings + """
            public static partial class T
            {
                // A comment is not a doc comment.
                [Tool("t.one")]
                public static string One() => "";
            }
            """);
        Assert.Equal(["SOMA002"], run.Ids);
        Assert.Contains("'t.one' has no <summary>", run.Diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Generated);
    }

    [Fact]
    public void Without_doc_comments_kept_by_the_compiler_every_tool_is_SOMA002_naming_GenerateDocumentationFile()
    {
        var run = GeneratorRun.Of(Usings + """
            public static partial class T
            {
                /// <summary>Does it.</summary>
                [Tool("t.one")]
                public static string One() => "";
            }
            """, DocumentationMode.None);
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("SOMA002", diagnostic.Id);
        Assert.Contains("GenerateDocumentationFile", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_tools_with_one_name_are_SOMA003_at_both()
    {
        var run = GeneratorRun.Of(Usings + """
            public static partial class A
            {
                /// <summary>Does it.</summary>
                [Tool("t.same")]
                public static string One() => "";
            }

            public static partial class B
            {
                /// <summary>Does it too.</summary>
                [Tool("t.same")]
                public static string Two() => "";

                /// <summary>Does something else.</summary>
                [Tool("t.other")]
                public static string Three() => "";
            }
            """);
        Assert.Equal(["SOMA003", "SOMA003"], run.Ids);
        Assert.All(run.Diagnostics, d => Assert.Contains("Sample.A.One, Sample.B.Two", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Equal(["Sample.B.ThreeTool.g.cs", "GeneratedTools.g.cs"], run.Generated.Select(t => Path.GetFileName(t.FilePath)));
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("")]
    [InlineData("9lives")]
    [InlineData("a.very.long.name.that.goes.on.and.on.and.on.past.the.sixty.four.characters")]
    public void An_invalid_name_is_SOMA004(string name)
    {
        var run = GeneratorRun.Of(Usings + $$"""
            public static partial class T
            {
                /// <summary>Does it.</summary>
                [Tool("{{name}}")]
                public static string One() => "";
            }
            """);
        Assert.Equal(["SOMA004"], run.Ids);
    }

    [Theory]
    [InlineData("int")]
    [InlineData("Task")]
    [InlineData("void")]
    [InlineData("IEnumerable<string>")]
    [InlineData("IAsyncEnumerable<int>")]
    public void An_unsupported_return_type_is_SOMA005(string type)
    {
        var run = GeneratorRun.Of(Usings + $$"""
            public abstract partial class T
            {
                /// <summary>Does it.</summary>
                [Tool("t.one")]
                public abstract {{type}} One();
            }
            """);
        Assert.Equal(["SOMA005"], run.Ids);
        Assert.Contains("t.one", run.Diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public static class T", "declare 'T' partial")]
    [InlineData("public partial class T<TItem>", "'T' is generic")]
    public void A_type_that_is_not_partial_or_is_generic_is_SOMA006(string declaration, string message)
    {
        var run = GeneratorRun.Of(Usings + $$"""
            {{declaration}}
            {
                /// <summary>Does it.</summary>
                [Tool("t.one")]
                public static string One() => "";
            }
            """);
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("SOMA006", diagnostic.Id);
        Assert.Contains(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void A_risk_other_than_low_medium_high_is_SOMA007()
    {
        var run = GeneratorRun.Of(Usings + """
            public static partial class T
            {
                /// <summary>Does it.</summary>
                [Tool("t.one", Risk = "extreme")]
                public static string One() => "";
            }
            """);
        Assert.Equal(["SOMA007"], run.Ids);
    }

    [Fact]
    public void A_parameter_without_a_description_is_warning_SOMA008_and_the_tool_is_still_written()
    {
        var run = GeneratorRun.Of(Usings + """
            public static partial class T
            {
                /// <summary>Does it.</summary>
                [Tool("t.one")]
                public static string One(string what) => what;
            }
            """);
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("SOMA008", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal(2, run.Generated.Length);
    }

    [Theory]
    [InlineData("[Range(1, 5)] string text")]
    [InlineData("[StringLength(5)] int text")]
    [InlineData("[RegularExpression(\"a+\")] bool text")]
    public void A_constraint_that_does_not_fit_the_type_is_warning_SOMA009(string parameter)
    {
        var run = GeneratorRun.Of(Usings + $$"""
            public static partial class T
            {
                /// <summary>Does it.</summary>
                /// <param name="text">A value.</param>
                [Tool("t.one")]
                public static string One({{parameter}}) => "";
            }
            """);
        Assert.Equal(["SOMA009"], run.Ids);
        Assert.Empty(run.CompileErrors);
    }

    [Fact]
    public void An_instance_tool_in_a_nested_partial_type_compiles()
    {
        var run = GeneratorRun.Of(Usings + """
            public partial class Outer
            {
                public sealed partial class Inner(string prefix)
                {
                    /// <summary>Says hello.</summary>
                    /// <param name="who">Who.</param>
                    /// <param name="cancellationToken">Stops it.</param>
                    /// <returns>The greeting.</returns>
                    [Tool("t.hello")]
                    internal async ValueTask<ToolResult> Hello(string[] who, CancellationToken cancellationToken) =>
                        await Task.FromResult(new ToolResult(prefix + string.Join(",", who)));
                }
            }
            """);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        Assert.Contains("internal sealed class HelloTool", run.Generated[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_edit_that_does_not_touch_a_tool_reuses_what_was_generated()
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Diagnose);
        var source = CSharpSyntaxTree.ParseText(Usings + """
            public static partial class T
            {
                /// <summary>Does it.</summary>
                [Tool("t.one")]
                public static string One() => "";
            }
            """, options);
        var compilation = CSharpCompilation.Create("Sample.Tools", [source], GeneratorRun.References, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new ToolGenerator().AsSourceGenerator()], parseOptions: options,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Sample; public static class Other { public static int Two() => 2; }", options));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        var steps = result.TrackedSteps[ToolGenerator.TrackingName].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }
}
