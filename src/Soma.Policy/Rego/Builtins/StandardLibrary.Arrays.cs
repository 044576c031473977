using System.Collections.Immutable;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddArrays(List<Builtin> all)
    {
        Add(all, "array.concat", 2, (_, a) =>
        {
            var left = ArgArray("array.concat", a[0]);
            var right = ArgArray("array.concat", a[1]);
            return right.Count == 0 ? left : left.Count == 0 ? right : Value.Array(left.Items.AddRange(right.Items));
        });
        Add(all, "array.slice", 3, (_, a) =>
        {
            var array = ArgArray("array.slice", a[0]);
            var start = ArgNumber("array.slice", a[1]);
            var stop = ArgNumber("array.slice", a[2]);
            if (!start.IsInteger || !stop.IsInteger)
            {
                return null;
            }

            var from = (int)System.Numerics.BigInteger.Clamp(start.Integer, 0, array.Count);
            var to = (int)System.Numerics.BigInteger.Clamp(stop.Integer, 0, array.Count);
            return from >= to ? Value.EmptyArray : Value.Array(ImmutableArray.Create(array.Items, from, to - from));
        });
        Add(all, "array.reverse", 1, (_, a) =>
        {
            var items = ArgArray("array.reverse", a[0]).Items;
            var reversed = new Value[items.Length];
            for (var i = 0; i < reversed.Length; i++)
            {
                reversed[i] = items[items.Length - 1 - i];
            }

            return Value.Array(reversed);
        });
    }
}
