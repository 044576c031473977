using System.Text.Json;
using Soma.Contracts.Schemas;

namespace Soma.Contracts.Tests;

/// <summary>
/// The schema smoke test: every schema file compiles and is embedded, has examples, accepts its valid examples and
/// refuses its invalid ones naming the broken field.
/// </summary>
public sealed class SchemaSmokeTests
{
    private static readonly EventValidator Validator = new(SchemaRegistry.Default);

    public static TheoryData<string> SchemaFiles() =>
        [.. Directory.GetFiles(Repository.Schemas, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal)];

    public static TheoryData<string, string> ValidExamples() => Examples("valid", "*.json");

    public static TheoryData<string, string> InvalidExamples() => Examples("invalid", "*.json");

    [Fact]
    public void The_schema_folder_is_not_empty_and_the_registry_holds_exactly_its_files()
    {
        var files = Directory.GetFiles(Repository.Schemas, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("envelope.v1", files);
        Assert.True(files.Count >= 8, $"expected the envelope and seven event schemas, found {files.Count}");
        Assert.Equal(files, SchemaRegistry.Default.SchemaNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_schema_file_compiles_on_its_own()
    {
        var registry = SchemaRegistry.FromDirectory(Repository.Schemas);
        Assert.Equal(SchemaRegistry.Default.SchemaNames.Order(StringComparer.Ordinal), registry.SchemaNames.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(SchemaFiles))]
    public void Every_schema_has_valid_and_invalid_examples(string schema)
    {
        var folder = Path.Combine(Repository.Examples, schema);
        Assert.True(Directory.Exists(folder), $"schema '{schema}' has no examples folder {folder}");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(folder, "valid"), "*.json"));
        var invalid = Directory.GetFiles(Path.Combine(folder, "invalid"), "*.json");
        Assert.NotEmpty(invalid);
        Assert.All(invalid, f => Assert.True(File.Exists(Path.ChangeExtension(f, ".expect")), $"{f} has no .expect file naming the field it breaks"));
    }

    [Theory]
    [MemberData(nameof(SchemaFiles))]
    public void Every_event_type_of_a_schema_has_a_valid_example(string schema)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Schemas, schema + ".json")));
        if (!document.RootElement.TryGetProperty("properties", out var properties) || !properties.TryGetProperty("type", out var type)
            || !type.TryGetProperty("enum", out var types))
        {
            return; // The envelope leaves the type open.
        }

        var covered = Directory.GetFiles(Path.Combine(Repository.Examples, schema, "valid"), "*.json")
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("type").GetString())
            .ToHashSet();
        Assert.All(types.EnumerateArray().Select(t => t.GetString()), t => Assert.Contains(t, covered));
    }

    [Theory]
    [MemberData(nameof(ValidExamples))]
    public void Every_valid_example_passes(string schema, string file)
    {
        var result = Validator.Validate(Read(schema, "valid", file), schema);
        Assert.True(result.IsValid, string.Join("\n", result.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
    }

    [Theory]
    [MemberData(nameof(InvalidExamples))]
    public void Every_invalid_example_fails_naming_the_field(string schema, string file)
    {
        var expected = File.ReadAllText(Path.Combine(Repository.Examples, schema, "invalid", Path.ChangeExtension(file, ".expect"))).Trim();
        var result = Validator.Validate(Read(schema, "invalid", file), schema);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Pointer == expected);
    }

    [Fact]
    public void An_event_validated_by_its_schema_field_uses_that_schema()
    {
        var example = Read("agent.steps.v1", "invalid", "attempt-zero.json");
        var result = Validator.Validate(example);
        Assert.Equal("agent.steps.v1", result.Schema);
        Assert.Contains(result.Errors, e => e.Pointer == "/data/attempt");
    }

    [Fact]
    public void An_unknown_field_is_named_in_the_error_message()
    {
        var result = Validator.Validate(Read("agent.runs.v1", "invalid", "unknown-data-field.json"));
        var error = Assert.Single(result.Errors, e => e.Pointer == "/data/colour");
        Assert.Contains("'colour'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_or_missing_schema_name_is_an_error_at_the_schema_field()
    {
        using var unknown = JsonDocument.Parse("""{"schema":"agent.nothing.v9","type":"x.y"}""");
        var result = Validator.Validate(unknown.RootElement);
        Assert.False(result.IsValid);
        Assert.Equal("/schema", Assert.Single(result.Errors).Pointer);
        Assert.Contains("agent.nothing.v9", result.Errors[0].Message, StringComparison.Ordinal);

        using var missing = JsonDocument.Parse("""{"type":"x.y"}""");
        Assert.Equal("/schema", Assert.Single(Validator.Validate(missing.RootElement).Errors).Pointer);

        using var array = JsonDocument.Parse("[]");
        Assert.False(Validator.Validate(array.RootElement).IsValid);
    }

    [Fact]
    public void A_broken_schema_file_is_reported_by_name()
    {
        var dir = Directory.CreateTempSubdirectory("soma-schemas");
        try
        {
            File.Copy(Path.Combine(Repository.Schemas, "envelope.v1.json"), Path.Combine(dir.FullName, "envelope.v1.json"));
            File.WriteAllText(Path.Combine(dir.FullName, "broken.v1.json"), """{"type": 42}""");
            var error = Assert.Throws<SchemaLoadException>(() => SchemaRegistry.FromDirectory(dir.FullName));
            Assert.Contains("broken.v1.json", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static JsonElement Read(string schema, string kind, string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Examples, schema, kind, file)));
        return document.RootElement.Clone();
    }

    private static TheoryData<string, string> Examples(string kind, string pattern)
    {
        var data = new TheoryData<string, string>();
        foreach (var folder in Directory.GetDirectories(Repository.Examples).Order(StringComparer.Ordinal))
        {
            var dir = Path.Combine(folder, kind);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in Directory.GetFiles(dir, pattern).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(folder), Path.GetFileName(file));
            }
        }

        return data;
    }
}
