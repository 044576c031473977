using System.Text;
using System.Text.Json.Nodes;
using Soma.Testing;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// The values reference in docs/operations/kubernetes.md is generated from values.schema.json (descriptions, types) and
/// values.yaml (defaults): this test fails with the block to paste when they disagree, or rewrites it with
/// <c>SOMA_UPDATE_DOCS=1</c>. It also proves the schema describes every value values.yaml sets.
/// </summary>
public sealed class ValuesReferenceTests
{
    private const string Begin = "<!-- values-reference:begin (generated from deploy/helm/soma/values.schema.json by ValuesReferenceTests; SOMA_UPDATE_DOCS=1 rewrites it) -->";
    private const string End = "<!-- values-reference:end -->";

    private static JsonObject Schema => JsonNode.Parse(File.ReadAllText(Path.Combine(HelmChart.Directory, "values.schema.json")))!.AsObject();

    private static JsonObject Values => HelmChart.ReadYaml(Path.Combine(HelmChart.Directory, "values.yaml"))!.AsObject();

    [Fact]
    public void The_values_reference_in_the_docs_is_the_one_the_schema_generates()
    {
        var page = RepositoryFiles.Path("docs", "operations", "kubernetes.md");
        var text = File.ReadAllText(page);
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{page} has no values reference block ({Begin} … {End})");
        var current = text[(start + Begin.Length)..end];
        var expected = Reference();
        if (current != expected && Environment.GetEnvironmentVariable("SOMA_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(page, text[..(start + Begin.Length)] + expected + text[end..]);
            return;
        }

        Assert.True(current == expected, $"The values reference in {page} is stale. Replace the block between the markers with:\n{expected}");
    }

    [Fact]
    public void The_schema_describes_every_value_of_values_yaml_and_refuses_keys_it_does_not_know()
    {
        var rows = Rows().ToList();
        Assert.True(rows.Count >= 60, $"only {rows.Count} documented values");
        Assert.All(rows, r => Assert.False(string.IsNullOrWhiteSpace(r.Description), r.Path + " has no description"));

        // Every leaf of values.yaml is a row, or inside one (maps, lists and resources are documented as a whole).
        var paths = rows.Select(r => r.Path).ToHashSet();
        foreach (var leaf in Leaves(Values, string.Empty))
        {
            Assert.True(paths.Any(p => leaf == p || leaf.StartsWith(p + ".", StringComparison.Ordinal)), $"values.yaml sets {leaf}, which the schema does not describe");
        }

        // Every row is set in values.yaml, so its default column is real.
        Assert.All(rows, r => Assert.True(r.Default is not null, r.Path + " is in the schema but not in values.yaml"));
        Assert.All(Objects(Schema, string.Empty), o => Assert.True(o.Schema["additionalProperties"]?.GetValueKind() == System.Text.Json.JsonValueKind.False, $"{o.Path} accepts keys it does not know"));
    }

    private static string Reference()
    {
        var text = new StringBuilder("\n\n| value | type | default | meaning |\n|---|---|---|---|\n");
        foreach (var row in Rows())
        {
            text.Append("| `").Append(row.Path).Append("` | ").Append(row.Type).Append(" | ")
                .Append(row.Default is null ? "—" : "`" + row.Default.Replace("|", "\\|", StringComparison.Ordinal) + "`").Append(" | ")
                .Append(row.Description.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
        }

        return text.Append('\n').ToString();
    }

    private sealed record Row(string Path, string Type, string? Default, string Description);

    private static IEnumerable<Row> Rows() => Rows(Schema, string.Empty, Values);

    private static IEnumerable<Row> Rows(JsonObject schema, string prefix, JsonNode? values)
    {
        foreach (var (name, node) in schema["properties"]!.AsObject())
        {
            var property = node!.AsObject();
            var path = prefix.Length == 0 ? name : prefix + "." + name;
            var value = values?.AsObject()[name];
            var described = property["properties"]?.AsObject().All(p => p.Value!["description"] is not null) == true;
            if (described)
            {
                foreach (var row in Rows(property, path, value))
                {
                    yield return row;
                }

                continue;
            }

            var type = property["type"] switch
            {
                JsonArray types => string.Join(" or ", types.Select(t => (string)t!)),
                JsonValue single => (string)single!,
                _ => "string or number",
            };
            if (property["enum"] is JsonArray values2)
            {
                type = string.Join(", ", values2.Select(v => "`" + (string)v! + "`"));
            }

            var present = values is JsonObject map && map.ContainsKey(name);
            yield return new Row(path, type, present ? (value?.ToJsonString() ?? "null") : null, (string?)property["description"] ?? string.Empty);
        }
    }

    private static IEnumerable<(string Path, JsonObject Schema)> Objects(JsonObject schema, string path)
    {
        if (schema["properties"] is not JsonObject properties || properties.Any(p => p.Value!["description"] is null))
        {
            yield break;
        }

        yield return (path.Length == 0 ? "(root)" : path, schema);
        foreach (var (name, node) in properties)
        {
            foreach (var inner in Objects(node!.AsObject(), path.Length == 0 ? name : path + "." + name))
            {
                yield return inner;
            }
        }
    }

    private static IEnumerable<string> Leaves(JsonNode? node, string path) => node switch
    {
        JsonObject map when map.Count > 0 => map.SelectMany(p => Leaves(p.Value, path.Length == 0 ? p.Key : path + "." + p.Key)),
        _ => [path],
    };
}
