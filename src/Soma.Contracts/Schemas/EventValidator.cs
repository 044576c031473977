using System.Text.Json;
using Json.Schema;

namespace Soma.Contracts.Schemas;

/// <summary>
/// Validates events against the registry, choosing the schema by each event's <c>schema</c> field. Errors name the
/// failing field by JSON pointer. Valid events cost one fast pass; only invalid ones are evaluated again to explain.
/// </summary>
public sealed class EventValidator(SchemaRegistry registry)
{
    // The schemas close their objects with additionalProperties (not unevaluatedProperties), so nothing needs
    // annotations: skipping them is most of what makes a valid event cheap.
    private static readonly EvaluationOptions FlagOptions = CreateFlagOptions();
    private static readonly EvaluationOptions ListOptions = new() { OutputFormat = OutputFormat.List };

    /// <summary>Validates an event against the schema its <c>schema</c> field names.</summary>
    public ValidationResult Validate(JsonElement @event)
    {
        if (@event.ValueKind != JsonValueKind.Object)
        {
            return new ValidationResult(null, false, [new ValidationError("", $"An event is a JSON object, not {Describe(@event.ValueKind)}.")]);
        }

        if (!@event.TryGetProperty("schema", out var schemaField) || schemaField.ValueKind != JsonValueKind.String)
        {
            return new ValidationResult(null, false, [new ValidationError("/schema", "The event has no 'schema' field naming its schema (e.g. \"agent.steps.v1\").")]);
        }

        return Validate(@event, schemaField.GetString()!);
    }

    /// <summary>Validates an event against a named schema (e.g. <c>envelope.v1</c>).</summary>
    public ValidationResult Validate(JsonElement @event, string schemaName)
    {
        ArgumentNullException.ThrowIfNull(schemaName);
        if (!registry.TryGet(schemaName, out var schema))
        {
            return new ValidationResult(schemaName, false, [new ValidationError("/schema", $"Unknown schema '{schemaName}'. Known: {string.Join(", ", registry.SchemaNames.Order(StringComparer.Ordinal))}.")]);
        }

        if (schema.Evaluate(@event, FlagOptions).IsValid)
        {
            return new ValidationResult(schemaName, true, []);
        }

        return new ValidationResult(schemaName, false, Explain(schema.Evaluate(@event, ListOptions)));
    }

    private static EvaluationOptions CreateFlagOptions()
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Flag };
        options.IgnoreAllAnnotations();
        return options;
    }

    private static List<ValidationError> Explain(EvaluationResults results)
    {
        var errors = new List<ValidationError>();
        foreach (var node in (results.Details ?? []).Append(results))
        {
            // A failing "if" only means that branch does not apply: it is not a fault of the event.
            if (node.Errors is null || IsConditionEvaluation(node))
            {
                continue;
            }

            var pointer = node.InstanceLocation.ToString();
            foreach (var (keyword, message) in node.Errors)
            {
                if (keyword == "required" && MissingNames(message) is { Count: > 0 } missing)
                {
                    // A missing field is reported on its parent; name each missing field instead.
                    errors.AddRange(missing.Select(name => new ValidationError($"{pointer}/{name}", $"Required field '{name}' is missing.")));
                }
                else if (keyword == "false" || message.Contains("false schema", StringComparison.Ordinal))
                {
                    // A closed object evaluates an unknown property against the schema 'false'.
                    errors.Add(new ValidationError(pointer, $"Unknown field '{pointer[(pointer.LastIndexOf('/') + 1)..]}' is not allowed here."));
                }
                else
                {
                    errors.Add(new ValidationError(pointer, message));
                }
            }
        }

        // The deepest pointer is the most useful; a parent that failed only because a child did adds nothing.
        var distinct = errors.DistinctBy(e => (e.Pointer, e.Message)).ToList();
        var specific = distinct.Where(e => !distinct.Any(o => o.Pointer.Length > e.Pointer.Length && o.Pointer.StartsWith(e.Pointer + "/", StringComparison.Ordinal))).ToList();
        return [.. specific.OrderByDescending(e => e.Pointer.Count(c => c == '/')).ThenBy(e => e.Pointer, StringComparer.Ordinal)];
    }

    private static bool IsConditionEvaluation(EvaluationResults node)
    {
        var path = node.EvaluationPath.ToString();
        return path.EndsWith("/if", StringComparison.Ordinal) || path.Contains("/if/", StringComparison.Ordinal);
    }

    private static List<string> MissingNames(string message)
    {
        // JsonSchema.Net words it: Required properties ["a","b"] are not present.
        var open = message.IndexOf('[', StringComparison.Ordinal);
        var close = message.LastIndexOf(']');
        if (open < 0 || close < open)
        {
            return [];
        }

        return [.. message[(open + 1)..close].Split(',').Select(n => n.Trim().Trim('"')).Where(n => n.Length > 0)];
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
