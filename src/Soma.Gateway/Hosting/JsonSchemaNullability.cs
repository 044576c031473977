using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Soma.Gateway.Hosting;

/// <summary>
/// Makes the generated schemas say what the API sends, so that a JSON Schema validator accepts every real answer.
/// Two shapes from the generator are wrong for OpenAPI 3.1 (JSON Schema 2020-12):
/// <list type="bullet">
/// <item>A nullable property whose type is a component becomes <c>oneOf: [{type: null}, {$ref}]</c>. When the
/// referenced schema accepts null too, null matches both branches and <c>oneOf</c> rejects it. Such a pair becomes
/// <c>anyOf</c>, which means what was meant.</item>
/// <item>A <see cref="JsonElement"/> (free-form JSON: a session's metadata, a run's input and output, a checkpoint's
/// state) is a reference to an empty <c>JsonElement</c> component. It becomes an inline schema with no constraint
/// (any JSON value, null included), keeping the property's description; its nullable wrapper goes with it.</item>
/// </list>
/// A document transformer, not a schema transformer: the <c>oneOf</c> wrapper is added after schema transformers run,
/// when the property's schema is replaced by a reference, so only the finished document shows it.
/// </summary>
internal sealed class JsonSchemaNullability : IOpenApiDocumentTransformer
{
    private static readonly string FreeFormId = nameof(JsonElement);

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var schema in (document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>()).Values)
        {
            if (schema is OpenApiSchema concrete)
            {
                FixChildren(concrete);
            }
        }

        foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations ?? []).Select(o => o.Value))
        {
            foreach (var media in (operation.RequestBody?.Content ?? new Dictionary<string, OpenApiMediaType>()).Values
                .Concat((operation.Responses ?? []).Values.SelectMany(r => r.Content ?? new Dictionary<string, OpenApiMediaType>()).Select(c => c.Value))
                .OfType<OpenApiMediaType>())
            {
                media.Schema = media.Schema is null ? null : Fix(media.Schema);
            }

            foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
            {
                parameter.Schema = parameter.Schema is null ? null : Fix(parameter.Schema);
            }
        }

        // Every reference to it was just inlined.
        document.Components?.Schemas?.Remove(FreeFormId);

        return Task.CompletedTask;
    }

    /// <summary>The schema to use in place of <paramref name="schema"/> (itself, fixed in place, unless it is replaced).</summary>
    private static IOpenApiSchema Fix(IOpenApiSchema schema)
    {
        if (schema is OpenApiSchemaReference reference)
        {
            return reference.Reference.Id == FreeFormId ? AnyValue(reference.Description) : reference;
        }

        if (schema is not OpenApiSchema concrete)
        {
            return schema;
        }

        FixChildren(concrete);
        if (concrete.OneOf is { Count: > 1 } oneOf && oneOf.Any(IsNull))
        {
            var others = oneOf.Where(s => !IsNull(s)).ToList();
            if (others.Any(IsAnyValue))
            {
                // Null or anything is anything.
                return AnyValue(concrete.Description ?? others.Select(s => s.Description).FirstOrDefault(d => d is not null));
            }

            concrete.AnyOf = oneOf;
            concrete.OneOf = null;
        }

        return concrete;
    }

    private static void FixChildren(OpenApiSchema schema)
    {
        if (schema.Properties is { } properties)
        {
            foreach (var name in properties.Keys.ToList())
            {
                properties[name] = Fix(properties[name]);
            }
        }

        schema.Items = schema.Items is null ? null : Fix(schema.Items);
        schema.AdditionalProperties = schema.AdditionalProperties is null ? null : Fix(schema.AdditionalProperties);
        FixAll(schema.AllOf);
        FixAll(schema.AnyOf);
        FixAll(schema.OneOf);
    }

    private static void FixAll(IList<IOpenApiSchema>? schemas)
    {
        for (var i = 0; schemas is not null && i < schemas.Count; i++)
        {
            schemas[i] = Fix(schemas[i]);
        }
    }

    private static bool IsNull(IOpenApiSchema schema) => schema is OpenApiSchema { Type: JsonSchemaType.Null };

    private static bool IsAnyValue(IOpenApiSchema schema) =>
        schema is OpenApiSchema { Type: null, OneOf: null or { Count: 0 }, AnyOf: null or { Count: 0 }, AllOf: null or { Count: 0 }, Properties: null or { Count: 0 }, Items: null, Enum: null or { Count: 0 }, Const: null, Not: null };

    private static OpenApiSchema AnyValue(string? description) => new() { Description = description ?? "Any JSON value." };
}
