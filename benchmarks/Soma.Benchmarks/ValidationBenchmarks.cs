using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Soma.Contracts.Schemas;

namespace Soma.Benchmarks;

/// <summary>
/// The cost of validating one event against its schema, per schema, with a representative valid example of each
/// (the largest of its valid examples): the validator compiled from the schemas at build time (the embedded registry)
/// beside JsonSchema.Net evaluating the same files at run time (a registry read from the folder is never compiled).
/// The baseline is parsing the same event's JSON, which any receiver pays anyway.
/// </summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private readonly EventValidator _validator = new(SchemaRegistry.Default);
    private EventValidator _runtime = null!;
    private string _json = "";
    private JsonElement _event;

    [ParamsSource(nameof(Schemas))]
    public string Schema { get; set; } = "";

    public static IEnumerable<string> Schemas() => SchemaRegistry.Default.SchemaNames.Order(StringComparer.Ordinal);

    [GlobalSetup]
    public void Setup()
    {
        _runtime = new EventValidator(SchemaRegistry.FromDirectory(Path.Combine(FindRoot(), "schemas")));
        var folder = Path.Combine(FindRoot(), "schemas", "examples", Schema, "valid");
        _json = File.ReadAllText(Directory.GetFiles(folder, "*.json").OrderByDescending(f => new FileInfo(f).Length).First());
        using var document = JsonDocument.Parse(_json);
        _event = document.RootElement.Clone();
        var result = _validator.Validate(_event, Schema);
        if (!result.IsValid || !_runtime.Validate(_event, Schema).IsValid)
        {
            throw new InvalidOperationException($"The example for {Schema} does not validate: {string.Join("; ", result.Errors)}");
        }
    }

    [Benchmark(Baseline = true, Description = "parse the event JSON")]
    public JsonValueKind Parse()
    {
        using var document = JsonDocument.Parse(_json);
        return document.RootElement.ValueKind;
    }

    [Benchmark(Description = "validate, compiled at build time")]
    public bool Validate() => _validator.Validate(_event, Schema).IsValid;

    [Benchmark(Description = "validate, JsonSchema.Net at run time")]
    public bool ValidateRuntime() => _runtime.Validate(_event, Schema).IsValid;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SomaAgent.slnx")))
            {
                return dir.FullName;
            }
        }

        // BenchmarkDotNet runs a generated copy of this project; the working directory is still the repository's.
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SomaAgent.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run the benchmarks from inside the repository.");
    }
}
