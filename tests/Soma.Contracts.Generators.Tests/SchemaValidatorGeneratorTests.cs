using Microsoft.CodeAnalysis;

namespace Soma.Contracts.Generators.Tests;

/// <summary>
/// The generator's diagnostics: a schema it cannot compile exactly (an unknown keyword, an unsupported form, a $ref that
/// does not resolve, a pattern whose .NET meaning differs) is an error and no validator is written, never a looser one.
/// </summary>
public sealed class SchemaValidatorGeneratorTests
{
    private const string Dialect = "\"$schema\": \"https://json-schema.org/draft/2020-12/schema\"";

    [Fact]
    public void The_keywords_the_event_schemas_use_compile_with_no_diagnostic()
    {
        var run = GeneratorRun.Of(
            ("base.v1", $$"""{ {{Dialect}}, "$id": "https://example.test/base.v1.json", "type": "object", "required": ["id"], "properties": { "id": { "type": "string", "pattern": "^[a-z]+$", "minLength": 1, "maxLength": 9 }, "data": { "type": "object" } }, "additionalProperties": false }"""),
            ("event.v1", $$"""{ {{Dialect}}, "$id": "https://example.test/event.v1.json", "allOf": [ { "$ref": "base.v1.json" }, { "if": { "properties": { "id": { "const": "a" } }, "required": ["id"] }, "then": { "properties": { "data": { "$ref": "#/$defs/a" } } } } ], "properties": { "id": { "enum": ["a", "b"], "format": "date-time" } }, "$defs": { "a": { "type": "object", "properties": { "n": { "type": "integer", "minimum": 1 } } } } }"""));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        Assert.Equal(["CompiledSchemas.g.cs"], run.Generated.Select(t => Path.GetFileName(t.FilePath)));
    }

    [Theory]
    [InlineData("\"oneOf\": [ { \"type\": \"string\" } ]", "oneOf")]
    [InlineData("\"anyOf\": [ { \"type\": \"string\" } ]", "anyOf")]
    [InlineData("\"not\": { \"type\": \"string\" }", "not")]
    [InlineData("\"items\": { \"type\": \"string\" }", "items")]
    [InlineData("\"maximum\": 3", "maximum")]
    [InlineData("\"unevaluatedProperties\": false", "unevaluatedProperties")]
    [InlineData("\"patternProperties\": { \"^x\": true }", "patternProperties")]
    public void An_unsupported_keyword_is_SOMA102_and_nothing_is_generated(string keyword, string name)
    {
        var run = GeneratorRun.Of(("x.v1", $$"""{ {{Dialect}}, "type": "object", "properties": { "a": { {{keyword}} } } }"""));
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("SOMA102", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains($"'{name}'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains("#/properties/a", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Generated);
    }

    [Theory]
    [InlineData("\"minimum\": 0.5")]
    [InlineData("\"type\": \"decimal\"")]
    [InlineData("\"const\": { \"a\": 1 }")]
    [InlineData("\"maxLength\": -1")]
    public void An_unsupported_form_is_SOMA103(string keyword)
    {
        var run = GeneratorRun.Of(("x.v1", $$"""{ {{Dialect}}, {{keyword}} }"""));
        Assert.Equal(["SOMA103"], run.Ids);
        Assert.Empty(run.Generated);
    }

    [Theory]
    [InlineData("#/$defs/missing")]
    [InlineData("other.v1.json")]
    public void A_ref_that_does_not_resolve_is_SOMA104(string reference)
    {
        var run = GeneratorRun.Of(("x.v1", $$"""{ {{Dialect}}, "$id": "https://example.test/x.v1.json", "$ref": "{{reference}}" }"""));
        Assert.Equal(["SOMA104"], run.Ids);
    }

    [Theory]
    [InlineData("^a.b$")]
    [InlineData("^[^a]+$")]
    [InlineData("^\\\\s+$")]
    [InlineData("^(?<name>a)$")]
    [InlineData("^\\\\bword$")]
    public void A_pattern_whose_dotnet_meaning_differs_is_SOMA105(string pattern)
    {
        var run = GeneratorRun.Of(("x.v1", $$"""{ {{Dialect}}, "pattern": "{{pattern}}" }"""));
        Assert.Equal(["SOMA105"], run.Ids);
    }

    [Fact]
    public void A_file_that_is_not_JSON_is_SOMA101()
    {
        var run = GeneratorRun.Of(("x.v1", "{ \"type\": "));
        Assert.Equal(["SOMA101"], run.Ids);
    }

    [Theory]
    [InlineData("^[a-z]+$", "^[a-z]+\\z")]
    [InlineData("^(?!0{16}$)[0-9a-f]{16}$", "^(?!0{16}\\z)[0-9a-f]{16}\\z")]
    [InlineData("^\\d[\\w.]$", "^[0-9][a-zA-Z0-9_.]\\z")]
    [InlineData("^[A-Za-z0-9_.:\\[\\]/-]{1,200}$", "^[A-Za-z0-9_.:\\[\\]/-]{1,200}\\z")]
    public void Patterns_are_translated_to_ECMAScript_meaning(string pattern, string expected)
    {
        Assert.True(PatternTranslator.TryTranslate(pattern, out var translated, out var problem), problem);
        Assert.Equal(expected, translated);
    }
}
