using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary>A string; strings compare by code point (ordinal), as Rego does.</summary>
public sealed class StringValue : Value
{
    internal StringValue(string value) => Value = value;

    /// <summary>The text.</summary>
    public string Value { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.String;

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer) => writer.WriteStringValue(Value);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc />
    public override string ToString() => JsonSerializer.Serialize(Value, RegoJson.Options);

    private protected override int CompareSameKind(Value other) => string.CompareOrdinal(Value, ((StringValue)other).Value);

    private protected override bool EqualsSameKind(Value other) => string.Equals(Value, ((StringValue)other).Value, StringComparison.Ordinal);
}
