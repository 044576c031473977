using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Soma.Gateway.Tests;

/// <summary>
/// The responses <c>/openapi/v1.json</c> declares, checked with a real JSON Schema 2020-12 validator (JsonSchema.Net):
/// an answer must have a status the operation declares (or its <c>default</c>), a content type declared for that
/// status, and a body that validates against the declared schema (each line of an NDJSON body). Component references
/// (<c>#/components/schemas/X</c>) resolve through a <c>$defs</c> copy of the document's components.
/// </summary>
internal sealed class OpenApiResponses
{
    private const string ComponentPrefix = "#/components/schemas/";
    private static readonly string[] JsonMediaTypes = ["application/json", "application/problem+json", "application/x-ndjson"];

    private readonly JsonObject _definitions;
    private readonly List<Operation> _operations;
    private readonly Dictionary<string, JsonSchema> _compiled = new(StringComparer.Ordinal);
    private readonly HashSet<string> _validated = new(StringComparer.Ordinal);

    private OpenApiResponses(JsonObject document)
    {
        var components = document["components"]?["schemas"]?.ToJsonString() ?? "{}";
        _definitions = JsonNode.Parse(components.Replace(ComponentPrefix, "#/$defs/", StringComparison.Ordinal))!.AsObject();
        _operations = [.. document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(op => new Operation(op.Key.ToUpperInvariant(), path.Key, op.Value!.AsObject())))
            // A literal segment beats a parameter: /v1/runs/stats before /v1/runs/{id}.
            .OrderBy(o => o.Template.Count(c => c == '{'))];
    }

    /// <summary>Every "METHOD /path" whose success answer is JSON (or NDJSON): what a conformance test must cover.</summary>
    public IReadOnlySet<string> JsonOperations => _operations
        .Where(o => o.Responses.Any(r => r.Key.StartsWith('2') && Content(r.Value).Keys.Any(IsJson)))
        .Select(o => o.Name)
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Every "METHOD /path status" an answer was validated for so far.</summary>
    public IReadOnlySet<string> Validated => _validated;

    public static async Task<OpenApiResponses> LoadAsync(HttpClient client) =>
        new(JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!.AsObject());

    /// <summary>Fails the test unless <paramref name="response"/> is what the document declares; returns its body.</summary>
    public async Task<string> ValidateAsync(HttpResponseMessage response)
    {
        var request = response.RequestMessage!;
        var method = request.Method.Method.ToUpperInvariant();
        var path = request.RequestUri!.AbsolutePath;
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        var what = $"{method} {path} → {status}";

        var operation = _operations.FirstOrDefault(o => o.Method == method && o.Matches(path));
        Assert.True(operation is not null, $"{what}: the document has no such operation");
        var statusKey = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var declared = operation.Responses.FirstOrDefault(r => r.Key == statusKey).Value
            ?? operation.Responses.FirstOrDefault(r => r.Key.Equals($"{statusKey[0]}XX", StringComparison.OrdinalIgnoreCase)).Value
            ?? operation.Responses.FirstOrDefault(r => r.Key == "default").Value;
        Assert.True(declared is not null, $"{what}: status {status} is not declared for {operation.Name} (declared: {string.Join(", ", operation.Responses.Select(r => r.Key))}): {body}");

        var content = Content(declared);
        if (body.Length == 0)
        {
            Assert.True(content.Count == 0, $"{what}: empty body, but the document declares {string.Join(", ", content.Keys)}");
            _validated.Add($"{operation.Name} {status}");
            return body;
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Assert.True(mediaType is not null, $"{what}: a body without a Content-Type: {body}");
        Assert.True(content.TryGetValue(mediaType, out var media),
            $"{what}: answered {mediaType}, the document declares [{string.Join(", ", content.Keys)}] for status {status}: {body}");
        if (!IsJson(mediaType))
        {
            return body;
        }

        var schemaNode = media!["schema"];
        Assert.True(schemaNode is not null, $"{what}: {mediaType} is declared without a schema");
        var schema = Compile($"{operation.Name} {status} {mediaType}", schemaNode);
        var instances = mediaType == "application/x-ndjson" ? body.Split('\n', StringSplitOptions.RemoveEmptyEntries) : [body];
        foreach (var instance in instances)
        {
            var results = schema.Evaluate(JsonElement.Parse(instance), new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical, RequireFormatValidation = true });
            Assert.True(results.IsValid, $"{what}: the body does not match the declared schema {schemaNode.ToJsonString()}:\n  {string.Join("\n  ", Errors(results))}\nbody: {instance}");
        }

        _validated.Add($"{operation.Name} {status}");
        return body;
    }

    private JsonSchema Compile(string key, JsonNode schema)
    {
        if (!_compiled.TryGetValue(key, out var compiled))
        {
            var root = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$defs"] = _definitions.DeepClone(),
                ["allOf"] = new JsonArray(JsonNode.Parse(schema.ToJsonString().Replace(ComponentPrefix, "#/$defs/", StringComparison.Ordinal))),
            };
            compiled = JsonSchema.Build(JsonElement.Parse(root.ToJsonString()), new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 });
            _compiled[key] = compiled;
        }

        return compiled;
    }

    /// <summary>The deepest failing evaluations: where the body and the schema part ways.</summary>
    private static IEnumerable<string> Errors(EvaluationResults results) =>
        Flatten(results)
            .Where(n => !n.IsValid && (n.Errors is { Count: > 0 } || (n.Details ?? []).All(d => d.IsValid)))
            .SelectMany(n => n.Errors is { Count: > 0 } errors
                ? errors.Select(e => $"{n.InstanceLocation} fails {n.EvaluationPath}: {e.Value}")
                : [$"{n.InstanceLocation} fails {n.EvaluationPath} although every subschema below it matched "
                    + $"({string.Join(", ", (n.Details ?? []).Select(d => d.EvaluationPath.ToString()))}: a oneOf that matched more than one?)"])
            .Distinct(StringComparer.Ordinal);

    private static IEnumerable<EvaluationResults> Flatten(EvaluationResults node) =>
        (node.Details ?? []).SelectMany(Flatten).Prepend(node);

    private static Dictionary<string, JsonObject?> Content(JsonObject response) =>
        response["content"]?.AsObject().ToDictionary(c => c.Key, c => c.Value as JsonObject, StringComparer.OrdinalIgnoreCase)
        ?? new Dictionary<string, JsonObject?>(StringComparer.OrdinalIgnoreCase);

    private static bool IsJson(string mediaType) => JsonMediaTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase);

    private sealed class Operation(string method, string template, JsonObject operation)
    {
        private readonly Regex _pattern = new("^" + Regex.Replace(Regex.Escape(template), @"\\\{[^/]+?}", "[^/]+") + "$", RegexOptions.CultureInvariant);

        public string Method { get; } = method;

        public string Template { get; } = template;

        public string Name => $"{Method} {Template}";

        public IReadOnlyList<KeyValuePair<string, JsonObject>> Responses { get; } =
            [.. (operation["responses"]?.AsObject() ?? []).Select(r => KeyValuePair.Create(r.Key, r.Value!.AsObject()))];

        public bool Matches(string path) => _pattern.IsMatch(path);
    }
}
