using System.Text.Json;
using Json.Schema;
using Soma.Contracts.Schemas;
using Soma.Policy.Rego;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Bundles;

/// <summary>
/// <c>roles.yaml</c>: checked against <c>schemas/config/roles.v1.json</c> (embedded) when loaded; an error names the
/// key and the file's line and column, e.g. <c>conf/roles.yaml:12:7: /roles/user/tools/0: …</c>.
/// </summary>
public static class RolesDocument
{
    private static readonly Lazy<JsonSchema> Schema = new(LoadSchema);
    private static readonly Json.Schema.EvaluationOptions ListOptions = new() { OutputFormat = OutputFormat.List };

    /// <summary>Whether a file is the roles file (<c>roles.yaml</c> or <c>roles.yml</c>, in any folder).</summary>
    public static bool IsRolesFile(string name) => Path.GetFileName(name) is "roles.yaml" or "roles.yml";

    /// <summary>Parses and checks a roles file; every problem is in the <see cref="RegoException"/>'s message, one per line.</summary>
    public static Value Parse(string name, string text)
    {
        var (value, locations) = YamlData.Parse(name, text);
        using var document = JsonDocument.Parse(value.ToJson());
        var results = Schema.Value.Evaluate(document.RootElement, ListOptions);
        if (results.IsValid)
        {
            return value;
        }

        var lines = SchemaErrors.Explain(results).Select(e => $"{Locate(e.Pointer, locations, name)}: {(e.Pointer.Length == 0 ? "(the document)" : e.Pointer)}: {e.Message}");
        throw new RegoException(string.Join('\n', lines));
    }

    private static SourceLocation Locate(string pointer, IReadOnlyDictionary<string, SourceLocation> locations, string name)
    {
        // A missing or unknown member has no place of its own: name its nearest ancestor's.
        for (var p = pointer; ; p = p[..p.LastIndexOf('/')])
        {
            if (locations.TryGetValue(p, out var location))
            {
                return location;
            }

            if (p.Length == 0)
            {
                return new SourceLocation(name, 1, 1);
            }
        }
    }

    private static JsonSchema LoadSchema()
    {
        using var stream = typeof(RolesDocument).Assembly.GetManifestResourceStream("schemas/config/roles.v1.json")
            ?? throw new InvalidOperationException("The roles schema is not embedded.");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromText(reader.ReadToEnd(), new BuildOptions { SchemaRegistry = new Json.Schema.SchemaRegistry() });
    }
}
