using System.Collections.Immutable;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary>
/// A Rego value: immutable, totally ordered (kind first, then content, as Rego sorts), equal by content. Undefined is
/// not a value: code that may produce nothing returns <c>null</c> (a C# null), never a <see cref="NullValue"/>.
/// </summary>
public abstract class Value : IEquatable<Value>, IComparable<Value>
{
    private protected Value()
    {
    }

    /// <summary>The Rego <c>null</c>.</summary>
    public static NullValue Null { get; } = new();

    /// <summary><c>true</c>.</summary>
    public static BooleanValue True { get; } = new(true);

    /// <summary><c>false</c>.</summary>
    public static BooleanValue False { get; } = new(false);

    /// <summary>The empty array.</summary>
    public static ArrayValue EmptyArray { get; } = new(ImmutableArray<Value>.Empty);

    /// <summary>The empty set.</summary>
    public static SetValue EmptySet { get; } = new(ImmutableSortedSet<Value>.Empty);

    /// <summary>The empty object.</summary>
    public static ObjectValue EmptyObject { get; } = new(ImmutableSortedDictionary<Value, Value>.Empty);

    /// <summary>What kind of value this is.</summary>
    public abstract ValueKind Kind { get; }

    /// <summary>The Rego type name, as <c>type_name</c> returns it (<c>"null"</c>, <c>"boolean"</c>, …).</summary>
    public string TypeName => Kind switch
    {
        ValueKind.Null => "null",
        ValueKind.Boolean => "boolean",
        ValueKind.Number => "number",
        ValueKind.String => "string",
        ValueKind.Array => "array",
        ValueKind.Object => "object",
        _ => "set",
    };

    /// <summary>A boolean.</summary>
    public static BooleanValue Bool(bool value) => value ? True : False;

    /// <summary>A string.</summary>
    public static StringValue String(string value) => new(value);

    /// <summary>An integer.</summary>
    public static NumberValue Number(long value) => NumberValue.FromInteger(value);

    /// <summary>An integer of any size.</summary>
    public static NumberValue Number(BigInteger value) => NumberValue.FromInteger(value);

    /// <summary>A float (integral floats become integers, so <c>2.0 == 2</c>).</summary>
    public static NumberValue Number(double value) => NumberValue.FromDouble(value);

    /// <summary>An array.</summary>
    public static ArrayValue Array(params IEnumerable<Value> items) => new([.. items]);

    /// <summary>An array over items already collected (no copy).</summary>
    public static ArrayValue Array(ImmutableArray<Value> items) => items.IsEmpty ? EmptyArray : new(items);

    /// <summary>An object over members already sorted (no copy).</summary>
    public static ObjectValue Object(ImmutableSortedDictionary<Value, Value> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        return new(members);
    }

    /// <summary>An object from a builder (no re-sorting).</summary>
    public static ObjectValue Object(ImmutableSortedDictionary<Value, Value>.Builder members)
    {
        ArgumentNullException.ThrowIfNull(members);
        return new(members.ToImmutable());
    }

    /// <summary>A set.</summary>
    public static SetValue Set(params IEnumerable<Value> items) => new(ImmutableSortedSet.CreateRange(items));

    /// <summary>An object.</summary>
    public static ObjectValue Object(IEnumerable<KeyValuePair<Value, Value>> members) =>
        new(ImmutableSortedDictionary.CreateRange(members));

    /// <summary>An object with string keys.</summary>
    public static ObjectValue Object(params IEnumerable<(string Key, Value Value)> members) =>
        Object(members.Select(m => new KeyValuePair<Value, Value>(String(m.Key), m.Value)));

    /// <summary>Reads a JSON document as a value (JSON numbers keep their exact integer value when integral).</summary>
    public static Value FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                return Null;
            case JsonValueKind.True:
                return True;
            case JsonValueKind.False:
                return False;
            case JsonValueKind.Number:
                return NumberValue.Parse(element.GetRawText());
            case JsonValueKind.String:
                return String(element.GetString()!);
            case JsonValueKind.Array:
                {
                    // Loops rather than LINQ: every tool call's arguments come through here.
                    var items = ImmutableArray.CreateBuilder<Value>(element.GetArrayLength());
                    foreach (var item in element.EnumerateArray())
                    {
                        items.Add(FromJson(item));
                    }

                    return new ArrayValue(items.MoveToImmutable());
                }

            case JsonValueKind.Object:
                {
                    var members = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
                    foreach (var property in element.EnumerateObject())
                    {
                        members.Add(String(property.Name), FromJson(property.Value));
                    }

                    return members.Count == 0 ? EmptyObject : new ObjectValue(members.ToImmutable());
                }

            default:
                throw new ArgumentException($"JSON value kind {element.ValueKind} has no Rego value.", nameof(element));
        }
    }

    /// <summary>Parses JSON text as a value.</summary>
    public static Value ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return FromJson(document.RootElement);
    }

    /// <summary>
    /// Writes this value as JSON: sets become arrays (in sorted order), object keys that are not strings are written as
    /// their JSON text, as OPA does.
    /// </summary>
    public abstract void WriteJson(Utf8JsonWriter writer);

    /// <summary>This value as compact JSON text.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJson(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>This value as a JSON element (sets as arrays).</summary>
    public JsonElement ToJsonElement()
    {
        using var document = JsonDocument.Parse(ToJson());
        return document.RootElement.Clone();
    }

    /// <summary>Rego's total order: kind first, then content.</summary>
    public int CompareTo(Value? other)
    {
        if (other is null)
        {
            return 1;
        }

        if (ReferenceEquals(this, other))
        {
            return 0;
        }

        // As ints: Enum.CompareTo takes object and would box both kinds on every comparison (every sorted-map lookup).
        var byKind = ((int)Kind).CompareTo((int)other.Kind);
        return byKind != 0 ? byKind : CompareSameKind(other);
    }

    /// <inheritdoc />
    public bool Equals(Value? other) => other is not null && (ReferenceEquals(this, other) || (Kind == other.Kind && EqualsSameKind(other)));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Value other && Equals(other);

    /// <inheritdoc />
    public abstract override int GetHashCode();

    /// <summary>The value in Rego syntax (strings quoted, sets as <c>{…}</c>, the empty set as <c>set()</c>).</summary>
    public abstract override string ToString();

    /// <summary>Writes <paramref name="items"/> as a JSON array (arrays, and sets in their sorted order).</summary>
    private protected static void WriteJsonArray(Utf8JsonWriter writer, IEnumerable<Value> items)
    {
        writer.WriteStartArray();
        foreach (var item in items)
        {
            item.WriteJson(writer);
        }

        writer.WriteEndArray();
    }

    /// <summary>A hash of <paramref name="items"/> in order, never 0 (0 marks "not computed yet" in the caches).</summary>
    private protected static int SequenceHash(ValueKind kind, IEnumerable<Value> items)
    {
        var hash = new HashCode();
        hash.Add((int)kind);
        foreach (var item in items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode() | 1;
    }

    /// <summary>Compares with a value of the same kind.</summary>
    private protected abstract int CompareSameKind(Value other);

    /// <summary>Equality with a value of the same kind.</summary>
    private protected abstract bool EqualsSameKind(Value other);

    /// <summary>Equality.</summary>
    public static bool operator ==(Value? left, Value? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Value? left, Value? right) => !(left == right);

    /// <summary>Less than, in Rego's order.</summary>
    public static bool operator <(Value left, Value right) => left.CompareTo(right) < 0;

    /// <summary>Greater than, in Rego's order.</summary>
    public static bool operator >(Value left, Value right) => left.CompareTo(right) > 0;

    /// <summary>At most, in Rego's order.</summary>
    public static bool operator <=(Value left, Value right) => left.CompareTo(right) <= 0;

    /// <summary>At least, in Rego's order.</summary>
    public static bool operator >=(Value left, Value right) => left.CompareTo(right) >= 0;
}
