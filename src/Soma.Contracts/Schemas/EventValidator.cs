using System.Text.Json;
using Json.Schema;

namespace Soma.Contracts.Schemas;

/// <summary>
/// Validates events against the registry, choosing the schema by each event's <c>schema</c> field. Errors name the
/// failing field by JSON pointer. Valid events cost one fast pass; only invalid ones are evaluated again to explain.
/// </summary>
/// <remarks>
/// With the embedded schemas (<see cref="SchemaRegistry.Default"/>) the verdict comes from the validators compiled from
/// the same files at build time (<c>CompiledSchemas</c>, decision 0014); JsonSchema.Net only explains an invalid event.
/// Another registry (<see cref="SchemaRegistry.FromDirectory"/>) is evaluated by JsonSchema.Net throughout.
/// </remarks>
public sealed class EventValidator(SchemaRegistry registry)
{
    private readonly bool _compiled = ReferenceEquals(registry, SchemaRegistry.Default);

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

        var isValid = _compiled && CompiledSchemas.TryValidate(schemaName, @event, out var compiled)
            ? compiled
            : schema.Evaluate(@event, FlagOptions).IsValid;
        if (isValid)
        {
            return new ValidationResult(schemaName, true, []);
        }

        return new ValidationResult(schemaName, false, Explain(schema, @event, schemaName));
    }

    private static IReadOnlyList<ValidationError> Explain(JsonSchema schema, JsonElement @event, string schemaName)
    {
        var errors = SchemaErrors.Explain(schema.Evaluate(@event, ListOptions));
        if (errors.Count > 0)
        {
            return errors;
        }

        // The compiled validator is stricter than JsonSchema.Net in one place (decision 0014): a pattern's '$' is the end
        // of the value, as ECMAScript says, not also the place before a final line feed. JsonSchema.Net then finds nothing.
        return [new ValidationError("", $"The event does not match schema '{schemaName}': a string ends with a line break where its pattern must end.")];
    }

    private static EvaluationOptions CreateFlagOptions()
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Flag };
        options.IgnoreAllAnnotations();
        return options;
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
