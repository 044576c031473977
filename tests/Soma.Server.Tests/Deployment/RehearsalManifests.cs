using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Soma.Testing;
using YamlDotNet.RepresentationModel;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// What <c>helm template</c> renders from deploy/helm/soma, parsed: every object of the multi-document YAML as JSON
/// (scalars kept as the strings the YAML holds), with the lookups the rehearsal needs (Secrets and ConfigMaps by name,
/// the Deployments, the hook Jobs, the Services). Anything missing is an error naming the object that refers to it.
/// </summary>
internal sealed class RehearsalManifests
{
    private RehearsalManifests(string yaml, string @namespace, IReadOnlyList<RehearsalObject> objects)
    {
        Yaml = yaml;
        Namespace = @namespace;
        Objects = objects;
    }

    /// <summary>The rendered text, as helm printed it.</summary>
    public string Yaml { get; }

    /// <summary>The namespace the release was rendered for (objects without one live there).</summary>
    public string Namespace { get; }

    public IReadOnlyList<RehearsalObject> Objects { get; }

    public IEnumerable<RehearsalObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

    /// <summary>Runs <c>helm template {release} deploy/helm/soma -f {values} --namespace {namespace}</c> and parses its output.</summary>
    public static async Task<RehearsalManifests> RenderAsync(string release, string valuesFile, string @namespace, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(RepositoryFiles.CiTool("helm"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryFiles.Root,
        };
        foreach (var argument in (string[])["template", release, RepositoryFiles.Path("deploy", "helm", "soma"), "--namespace", @namespace, "-f", valuesFile])
        {
            start.ArgumentList.Add(argument);
        }

        using var helm = Process.Start(start) ?? throw new InvalidOperationException("helm did not start");
        var stdout = helm.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = helm.StandardError.ReadToEndAsync(cancellationToken);
        await helm.WaitForExitAsync(cancellationToken);
        if (helm.ExitCode != 0)
        {
            throw new InvalidOperationException($"helm template exited with {helm.ExitCode}:\n{await stderr}");
        }

        return FromYaml(await stdout, @namespace);
    }

    /// <summary>Manifests from YAML text (as <c>helm template</c> would print it).</summary>
    public static RehearsalManifests FromYaml(string yaml, string @namespace) => new(yaml, @namespace, Parse(yaml, @namespace));

    /// <summary>Parses multi-document YAML into its objects (documents that are not mappings, e.g. empty ones, are skipped).</summary>
    public static IReadOnlyList<RehearsalObject> Parse(string yaml, string @namespace)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var objects = new List<RehearsalObject>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root || ToJson(root) is not JsonObject body)
            {
                continue;
            }

            var kind = Text(body["kind"]) ?? throw new InvalidOperationException($"A rendered document has no kind:\n{body.ToJsonString()[..Math.Min(300, body.ToJsonString().Length)]}");
            var name = Text(body["metadata"]?["name"]) ?? throw new InvalidOperationException($"A rendered {kind} has no metadata.name.");
            objects.Add(new RehearsalObject(kind, name, Text(body["metadata"]?["namespace"]) ?? @namespace, body));
        }

        return objects;
    }

    /// <summary>A Secret's or ConfigMap's entries as bytes: Secret <c>data</c> is base64 and <c>stringData</c> wins over it; a ConfigMap's <c>data</c> is text and <c>binaryData</c> base64.</summary>
    public IReadOnlyDictionary<string, byte[]> Entries(string kind, string name, string referrer, bool optional)
    {
        var source = Objects.FirstOrDefault(o => o.Kind == kind && o.Name == name);
        if (source is null)
        {
            return optional
                ? new Dictionary<string, byte[]>()
                : throw new InvalidOperationException($"{referrer} refers to {kind} '{name}', which the chart does not render (an object created outside the chart cannot be rehearsed).");
        }

        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var (base64, text) = kind == "Secret" ? ("data", "stringData") : ("binaryData", "data");
        foreach (var (key, value) in Map(source.Body[base64]))
        {
            try
            {
                entries[key] = Convert.FromBase64String(value ?? "");
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{source} has {base64}.{key} that is not base64.");
            }
        }

        foreach (var (key, value) in Map(source.Body[text]))
        {
            entries[key] = Encoding.UTF8.GetBytes(value ?? "");
        }

        return entries;
    }

    /// <summary>A scalar's text, or null for a missing node or YAML null.</summary>
    public static string? Text(JsonNode? node) => node is JsonValue value ? value.GetValue<string?>() : null;

    /// <summary>A mapping's scalar entries (empty for a missing node).</summary>
    public static IEnumerable<(string Key, string? Value)> Map(JsonNode? node) =>
        node is JsonObject map ? map.Select(e => (e.Key, Text(e.Value))) : [];

    /// <summary>A sequence's items (empty for a missing node).</summary>
    public static IEnumerable<JsonObject> Items(JsonNode? node) =>
        node is JsonArray array ? array.OfType<JsonObject>() : [];

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => IsNull(scalar) ? null : JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"Unsupported YAML node {node.NodeType} at {node.Start}."),
    };

    // Plain (unquoted) ~, null and empty are YAML's null; quoted they are strings.
    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any
        && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";
}
