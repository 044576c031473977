using System.Text.Json.Nodes;

namespace Soma.Testing;

/// <summary>One request the stand-in received.</summary>
public sealed record RecordedMemoryRequest(DateTimeOffset ReceivedAt, string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);
}
