using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary>The Rego <c>null</c>.</summary>
public sealed class NullValue : Value
{
    internal NullValue()
    {
    }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Null;

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer) => writer.WriteNullValue();

    /// <inheritdoc />
    public override int GetHashCode() => 0;

    /// <inheritdoc />
    public override string ToString() => "null";

    private protected override int CompareSameKind(Value other) => 0;

    private protected override bool EqualsSameKind(Value other) => true;
}
