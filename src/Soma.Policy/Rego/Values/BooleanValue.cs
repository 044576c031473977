using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary><c>true</c> or <c>false</c>.</summary>
public sealed class BooleanValue : Value
{
    internal BooleanValue(bool value) => Value = value;

    /// <summary>The boolean.</summary>
    public bool Value { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Boolean;

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer) => writer.WriteBooleanValue(Value);

    /// <inheritdoc />
    public override int GetHashCode() => Value ? 1 : 2;

    /// <inheritdoc />
    public override string ToString() => Value ? "true" : "false";

    private protected override int CompareSameKind(Value other) => Value.CompareTo(((BooleanValue)other).Value);

    private protected override bool EqualsSameKind(Value other) => Value == ((BooleanValue)other).Value;
}
