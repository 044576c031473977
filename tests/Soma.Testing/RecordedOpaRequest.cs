using System.Text.Json.Nodes;

namespace Soma.Testing;

/// <summary>One request the OPA stand-in received.</summary>
public sealed record RecordedOpaRequest(string Method, string Path, string QueryString, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The body's <c>input</c> member, when the body is a JSON object that has one.</summary>
    public JsonNode? Input => Body.Length > 0 && JsonNode.Parse(Body) is JsonObject body ? body["input"] : null;
}
