using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary>An object: keys of any kind, kept sorted in Rego's order.</summary>
public sealed class ObjectValue : Value
{
    private int _hash;

    internal ObjectValue(ImmutableSortedDictionary<Value, Value> members) => Members = members;

    /// <summary>The members, sorted by key.</summary>
    public ImmutableSortedDictionary<Value, Value> Members { get; }

    /// <summary>How many members.</summary>
    public int Count => Members.Count;

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Object;

    /// <summary>The value under <paramref name="key"/>, or C# null when absent.</summary>
    public Value? this[Value key] => Members.TryGetValue(key, out var value) ? value : null;

    /// <summary>The value under a string key, or C# null when absent.</summary>
    public Value? this[string key] => this[String(key)];

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in Members)
        {
            writer.WritePropertyName(key is StringValue s ? s.Value : key.ToJson());
            value.WriteJson(writer);
        }

        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var hash = new HashCode();
            hash.Add(ValueKind.Object);
            foreach (var (key, value) in Members)
            {
                hash.Add(key);
                hash.Add(value);
            }

            _hash = hash.ToHashCode() | 1;
        }

        return _hash;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder("{");
        var first = true;
        foreach (var (key, value) in Members)
        {
            text.Append(first ? string.Empty : ", ").Append(key).Append(": ").Append(value);
            first = false;
        }

        return text.Append('}').ToString();
    }

    private protected override int CompareSameKind(Value other)
    {
        var right = ((ObjectValue)other).Members;
        using var a = Members.GetEnumerator();
        using var b = right.GetEnumerator();
        while (true)
        {
            var hasA = a.MoveNext();
            var hasB = b.MoveNext();
            if (!hasA || !hasB)
            {
                return hasA.CompareTo(hasB);
            }

            var byKey = a.Current.Key.CompareTo(b.Current.Key);
            if (byKey != 0)
            {
                return byKey;
            }

            var byValue = a.Current.Value.CompareTo(b.Current.Value);
            if (byValue != 0)
            {
                return byValue;
            }
        }
    }

    private protected override bool EqualsSameKind(Value other)
    {
        var right = (ObjectValue)other;
        return Members.Count == right.Members.Count && GetHashCode() == right.GetHashCode() && CompareSameKind(other) == 0;
    }
}
