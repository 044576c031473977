using System.Text.Json;
using Json.Schema;
using Soma.Contracts.Schemas;

namespace Soma.Tools.Tests.Sdk;

/// <summary>Checks a tool's parameters schema against the JSON Schema 2020-12 meta-schema, and as a closed object schema.</summary>
internal static class MetaSchema
{
    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List };

    public static IReadOnlyList<string> Errors(JsonElement schema)
    {
        var results = MetaSchemas.Draft202012.Evaluate(schema, Options);
        return results.IsValid ? [] : [.. SchemaErrors.Explain(results).Select(e => $"{e.Pointer}: {e.Message}")];
    }
}
