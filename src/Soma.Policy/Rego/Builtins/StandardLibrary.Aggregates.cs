using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddAggregates(List<Builtin> all)
    {
        Add(all, "count", 1, (_, a) => a[0] switch
        {
            ArrayValue x => Value.Number(x.Count),
            SetValue x => Value.Number(x.Count),
            ObjectValue x => Value.Number(x.Count),
            StringValue x => Value.Number(RuneCount(x.Value)),
            _ => throw new RegoException($"`count` requires array/object/set/string argument. Got `{a[0]}` instead"),
        });
        Add(all, "sum", 1, (_, a) =>
        {
            NumberValue total = Value.Number(0);
            foreach (var item in Collection("sum", a[0]))
            {
                total += ArgNumber("sum", item);
            }

            return total;
        });
        Add(all, "product", 1, (_, a) =>
        {
            NumberValue total = Value.Number(1);
            foreach (var item in Collection("product", a[0]))
            {
                total *= ArgNumber("product", item);
            }

            return total;
        });
        Add(all, "max", 1, (_, a) =>
        {
            Value? best = null;
            foreach (var item in Collection("max", a[0]))
            {
                if (best is null || item.CompareTo(best) > 0)
                {
                    best = item;
                }
            }

            return best;
        });
        Add(all, "min", 1, (_, a) =>
        {
            Value? best = null;
            foreach (var item in Collection("min", a[0]))
            {
                if (best is null || item.CompareTo(best) < 0)
                {
                    best = item;
                }
            }

            return best;
        });
        Add(all, "sort", 1, (_, a) => a[0] switch
        {
            SetValue s => Value.Array(s.Items),
            ArrayValue x => Value.Array(x.Items.Sort()),
            _ => throw new RegoException($"`sort` requires array/set argument. Got `{a[0]}` instead"),
        });
    }

    private static IEnumerable<Value> Collection(string name, Value value) => value switch
    {
        ArrayValue a => a.Items,
        SetValue s => s.Items,
        _ => throw new RegoException($"`{name}` requires array/set argument. Got `{value}` instead"),
    };
}
