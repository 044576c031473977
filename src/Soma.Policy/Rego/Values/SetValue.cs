using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary>A set of values, kept sorted in Rego's order (so printing and comparing are deterministic).</summary>
public sealed class SetValue : Value
{
    private int _hash;

    internal SetValue(ImmutableSortedSet<Value> items) => Items = items;

    /// <summary>The members, sorted.</summary>
    public ImmutableSortedSet<Value> Items { get; }

    /// <summary>How many members.</summary>
    public int Count => Items.Count;

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Set;

    /// <summary>Whether <paramref name="value"/> is a member.</summary>
    public bool Contains(Value value) => Items.Contains(value);

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer) => WriteJsonArray(writer, Items);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            _hash = SequenceHash(ValueKind.Set, Items);
        }

        return _hash;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        if (Items.Count == 0)
        {
            return "set()";
        }

        var text = new StringBuilder("{");
        var first = true;
        foreach (var item in Items)
        {
            text.Append(first ? string.Empty : ", ").Append(item);
            first = false;
        }

        return text.Append('}').ToString();
    }

    private protected override int CompareSameKind(Value other)
    {
        var right = ((SetValue)other).Items;
        using var a = Items.GetEnumerator();
        using var b = right.GetEnumerator();
        while (true)
        {
            var hasA = a.MoveNext();
            var hasB = b.MoveNext();
            if (!hasA || !hasB)
            {
                return hasA.CompareTo(hasB);
            }

            var byItem = a.Current.CompareTo(b.Current);
            if (byItem != 0)
            {
                return byItem;
            }
        }
    }

    private protected override bool EqualsSameKind(Value other)
    {
        var right = (SetValue)other;
        return Items.Count == right.Items.Count && GetHashCode() == right.GetHashCode() && CompareSameKind(other) == 0;
    }
}
