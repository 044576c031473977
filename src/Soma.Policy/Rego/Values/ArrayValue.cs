using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary>An ordered list of values.</summary>
public sealed class ArrayValue : Value
{
    private int _hash;

    internal ArrayValue(ImmutableArray<Value> items) => Items = items;

    /// <summary>The items.</summary>
    public ImmutableArray<Value> Items { get; }

    /// <summary>How many items.</summary>
    public int Count => Items.Length;

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Array;

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer) => WriteJsonArray(writer, Items);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            _hash = SequenceHash(ValueKind.Array, Items);
        }

        return _hash;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < Items.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(Items[i]);
        }

        return text.Append(']').ToString();
    }

    private protected override int CompareSameKind(Value other)
    {
        var right = ((ArrayValue)other).Items;
        for (var i = 0; i < Math.Min(Items.Length, right.Length); i++)
        {
            var byItem = Items[i].CompareTo(right[i]);
            if (byItem != 0)
            {
                return byItem;
            }
        }

        return Items.Length.CompareTo(right.Length);
    }

    private protected override bool EqualsSameKind(Value other)
    {
        var right = (ArrayValue)other;
        if (Items.Length != right.Items.Length || GetHashCode() != right.GetHashCode())
        {
            return false;
        }

        for (var i = 0; i < Items.Length; i++)
        {
            if (!Items[i].Equals(right.Items[i]))
            {
                return false;
            }
        }

        return true;
    }
}
