using System.Text.Json;
using Json.Schema;
using Soma.Contracts.Schemas;

namespace Soma.Orchestration.Workflows;

/// <summary>A workflow's compiled input schema (JSON Schema draft 2020-12 unless the schema names another dialect).</summary>
internal sealed class CompiledInputSchema
{
    private static readonly EvaluationOptions FlagOptions = CreateFlagOptions();
    private static readonly EvaluationOptions ListOptions = new() { OutputFormat = OutputFormat.List };
    private static readonly JsonElement Null = JsonElement.Parse("null");
    private readonly JsonSchema _schema;

    // Vouches for a valid input without JsonSchema.Net (null for a schema whose shape it does not cover); JsonSchema.Net
    // decides the rest. 'format' is an annotation for both: JsonSchema.Net runs with annotations off.
    private readonly SchemaShapeCheck? _shape;

    private CompiledInputSchema(JsonSchema schema, JsonElement document)
    {
        _schema = schema;
        _shape = SchemaShapeCheck.TryCreate(document, formatIsAnnotation: true);
        Document = document;
    }

    public JsonElement Document { get; }

    /// <summary>Compiles the schema text; on failure returns null and says why.</summary>
    public static CompiledInputSchema? TryCompile(string text, out string? error)
    {
        try
        {
            // Not a disposable JsonDocument: the compiled schema keeps referring to the elements it was built from.
            var document = JsonElement.Parse(text);

            // A registry of its own: two workflows may well use the same $id, and the global registry refuses that.
            var options = new BuildOptions { SchemaRegistry = new Json.Schema.SchemaRegistry(), Dialect = Dialect.Draft202012 };
            var schema = JsonSchema.Build(document, options);

            // Building does not resolve references; one evaluation finds the ones the root reaches.
            schema.Evaluate(Null, FlagOptions);
            error = null;
            return new CompiledInputSchema(schema, document);
        }
        catch (Exception ex) when (ex is JsonException or JsonSchemaException or RefResolutionException or ArgumentException or InvalidOperationException)
        {
            error = ex.Message;
            return null;
        }
    }

    public IReadOnlyList<(string Pointer, string Message)> Validate(JsonElement input)
    {
        if (input.ValueKind == JsonValueKind.Undefined)
        {
            return [("", "The input is missing.")];
        }

        if (_shape?.IsCertainlyValid(input) == true)
        {
            return [];
        }

        try
        {
            return _schema.Evaluate(input, FlagOptions).IsValid ? [] : Explain(_schema.Evaluate(input, ListOptions));
        }
        catch (RefResolutionException ex)
        {
            return [("", $"The input schema cannot be evaluated: {ex.Message}")];
        }
    }

    private static EvaluationOptions CreateFlagOptions()
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Flag };
        options.IgnoreAllAnnotations();
        return options;
    }

    private static List<(string Pointer, string Message)> Explain(EvaluationResults results)
    {
        var errors = new List<(string Pointer, string Message)>();
        foreach (var node in (results.Details ?? []).Append(results))
        {
            // A failing "if" only means that branch does not apply: it is not a fault of the input.
            var path = node.EvaluationPath.ToString();
            if (node.Errors is null || path.EndsWith("/if", StringComparison.Ordinal) || path.Contains("/if/", StringComparison.Ordinal))
            {
                continue;
            }

            var pointer = node.InstanceLocation.ToString();
            foreach (var (keyword, message) in node.Errors)
            {
                if (keyword == "required" && SchemaErrors.MissingNames(message) is { Count: > 0 } missing)
                {
                    // A missing field is reported on its parent; name each missing field instead.
                    errors.AddRange(missing.Select(name => ($"{pointer}/{Escape(name)}", $"Required field '{name}' is missing.")));
                }
                else if (keyword.Length == 0 && (path.EndsWith("/additionalProperties", StringComparison.Ordinal) || path.EndsWith("/unevaluatedProperties", StringComparison.Ordinal)))
                {
                    errors.Add((pointer, $"Field '{LastSegment(pointer)}' is not allowed."));
                }
                else
                {
                    errors.Add((pointer, message));
                }
            }
        }

        // The deepest pointer is the most useful; a parent that failed only because a child did adds nothing.
        var distinct = errors.Distinct().ToList();
        var specific = distinct.Where(e => !distinct.Any(o => o.Pointer.Length > e.Pointer.Length && o.Pointer.StartsWith(e.Pointer + "/", StringComparison.Ordinal)));
        return [.. specific.OrderBy(e => e.Pointer, StringComparer.Ordinal).ThenBy(e => e.Message, StringComparer.Ordinal)];
    }

    // RFC 6901: "~" and "/" inside a name are escaped.
    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string LastSegment(string pointer) =>
        pointer[(pointer.LastIndexOf('/') + 1)..].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
}
