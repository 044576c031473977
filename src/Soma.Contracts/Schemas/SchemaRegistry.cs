using System.Text.Json;
using Json.Schema;

namespace Soma.Contracts.Schemas;

/// <summary>
/// The event schemas, compiled once: by default the ones embedded from <c>schemas/</c> at build time. Names are the
/// file names without <c>.json</c>, e.g. <c>agent.steps.v1</c>; event schemas reference <c>envelope.v1</c>.
/// </summary>
public sealed class SchemaRegistry
{
    private const string ResourcePrefix = "schemas/";
    private static readonly Lazy<SchemaRegistry> DefaultRegistry = new(LoadEmbedded);
    private readonly Dictionary<string, JsonSchema> _schemas;

    private SchemaRegistry(Dictionary<string, JsonSchema> schemas) => _schemas = schemas;

    /// <summary>The schemas embedded in this build.</summary>
    public static SchemaRegistry Default => DefaultRegistry.Value;

    /// <summary>The names of every schema, e.g. <c>envelope.v1</c>, <c>agent.steps.v1</c>.</summary>
    public IReadOnlyCollection<string> SchemaNames => _schemas.Keys;

    /// <summary>Compiles every <c>*.json</c> file of a directory (not its subdirectories).</summary>
    /// <exception cref="SchemaLoadException">A file is not JSON or not a valid schema; the message names the file.</exception>
    public static SchemaRegistry FromDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Build(Directory.GetFiles(path, "*.json").Select(f => (Path.GetFileName(f), (Func<string>)(() => File.ReadAllText(f)))));
    }

    /// <summary>Finds a schema by name.</summary>
    public bool TryGet(string name, out JsonSchema schema) => _schemas.TryGetValue(name, out schema!);

    private static SchemaRegistry LoadEmbedded()
    {
        var assembly = typeof(SchemaRegistry).Assembly;
        return Build(assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(n => (n[ResourcePrefix.Length..], (Func<string>)(() =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return reader.ReadToEnd();
            }))));
    }

    private static SchemaRegistry Build(IEnumerable<(string FileName, Func<string> Read)> files)
    {
        // The envelope first: every event schema references it.
        var ordered = files.OrderBy(f => f.FileName.StartsWith("envelope.", StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(f => f.FileName, StringComparer.Ordinal);
        var options = new BuildOptions { SchemaRegistry = new Json.Schema.SchemaRegistry() };
        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        foreach (var (fileName, read) in ordered)
        {
            try
            {
                schemas[Path.GetFileNameWithoutExtension(fileName)] = JsonSchema.FromText(read(), options);
            }
            catch (Exception ex) when (ex is JsonException or JsonSchemaException or ArgumentException or InvalidOperationException or RefResolutionException)
            {
                throw new SchemaLoadException($"Schema file '{fileName}' does not compile: {ex.Message}", ex);
            }
        }

        return new SchemaRegistry(schemas);
    }
}
