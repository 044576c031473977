using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Json.Schema;
using Soma.Contracts.Schemas;
using Soma.Tools.Registry;

namespace Soma.Tools.Invocation;

/// <summary>
/// Checks a call's arguments against its tool's <see cref="ITool.ParametersSchema"/> (JSON Schema 2020-12), before the
/// policy is asked. Each schema is compiled once, on the tool's first call, into the evaluator's form and, where it is a
/// flat object of scalars and arrays (every schema the tool SDK writes), into a <see cref="SchemaShapeCheck"/>. A valid
/// call costs that check, or one evaluation in flag mode with annotations off when the check cannot vouch for it; only an
/// invalid one is evaluated again to say which field is wrong and why.
/// </summary>
internal sealed class ToolArgumentValidator
{
    private static readonly EvaluationOptions FlagOptions = CreateFlagOptions();
    private static readonly EvaluationOptions ListOptions = new() { OutputFormat = OutputFormat.List };
    private readonly ConcurrentDictionary<ITool, Compiled> _schemas = new(ReferenceEqualityComparer.Instance);

    /// <summary>Null when <paramref name="arguments"/> suit <paramref name="tool"/>; else what is wrong, each field named by JSON pointer.</summary>
    public string? Validate(ITool tool, JsonElement? arguments)
    {
        if (arguments is not { ValueKind: JsonValueKind.Object } value)
        {
            return "The arguments must be a JSON object.";
        }

        var compiled = _schemas.GetOrAdd(tool, static t => Compile(t));
        if (compiled.Schema is not { } schema)
        {
            return compiled.Error;
        }

        // Most calls are valid and most schemas are the SDK's flat objects: the shape check vouches for those without
        // the evaluator; whatever it cannot vouch for is evaluated in full.
        if (compiled.Shape?.IsCertainlyValid(value) == true || schema.Evaluate(value, FlagOptions).IsValid)
        {
            return null;
        }

        var message = new StringBuilder("Invalid arguments: ");
        var first = true;
        foreach (var error in SchemaErrors.Explain(schema.Evaluate(value, ListOptions)))
        {
            message.Append(first ? string.Empty : "; ").Append(error.Pointer.Length == 0 ? "(the arguments)" : error.Pointer).Append(": ").Append(error.Message);
            first = false;
        }

        if (first)
        {
            return "Invalid arguments.";
        }

        return message[^1] == '.' ? message.ToString() : message.Append('.').ToString();
    }

    private static Compiled Compile(ITool tool)
    {
        try
        {
            // A registry of its own per tool: two tools may well use the same $id, and the global registry refuses that.
            var options = new BuildOptions { SchemaRegistry = new Json.Schema.SchemaRegistry(), Dialect = Dialect.Draft202012 };
            var schema = JsonSchema.Build(tool.ParametersSchema, options);
            return new Compiled(schema, null, SchemaShapeCheck.TryCreate(tool.ParametersSchema));
        }
        catch (Exception ex) when (ex is JsonException or JsonSchemaException or RefResolutionException or ArgumentException or InvalidOperationException)
        {
            // The tool's fault, not the model's; every registered schema is checked against the meta-schema in a test.
            return new Compiled(null, $"The tool's argument schema cannot be used: {ex.Message}", null);
        }
    }

    private static EvaluationOptions CreateFlagOptions()
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Flag };
        options.IgnoreAllAnnotations();
        return options;
    }

    private sealed record Compiled(JsonSchema? Schema, string? Error, SchemaShapeCheck? Shape);
}
