using System.Numerics;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddNumbers(List<Builtin> all)
    {
        Add(all, "abs", 1, (_, a) => ArgNumber("abs", a[0]) is var n && n.CompareTo(Value.Number(0)) < 0 ? -n : n);
        Add(all, "ceil", 1, (_, a) => Rounded("ceil", a[0], Math.Ceiling));
        Add(all, "floor", 1, (_, a) => Rounded("floor", a[0], Math.Floor));
        Add(all, "round", 1, (_, a) => Rounded("round", a[0], x => Math.Round(x, MidpointRounding.AwayFromZero)));
        Add(all, "numbers.range", 2, (_, a) =>
        {
            var from = RangeBound("numbers.range", a[0], 1);
            var to = RangeBound("numbers.range", a[1], 2);
            return Range(from, to, BigInteger.One);
        });
        Add(all, "numbers.range_step", 3, (_, a) =>
        {
            var from = RangeBound("numbers.range_step", a[0], 1);
            var to = RangeBound("numbers.range_step", a[1], 2);
            var step = RangeBound("numbers.range_step", a[2], 3);
            return step.Sign <= 0 ? throw Error("numbers.range_step", "step must be a positive number above zero") : Range(from, to, step);
        });
        Add(all, "rand.intn", 2, (ctx, a) =>
        {
            var seed = ArgString("rand.intn", a[0]);
            var limit = ArgNumber("rand.intn", a[1]);
            if (!limit.TryGetInt64(out var n))
            {
                return null;
            }

            n = Math.Abs(n);
#pragma warning disable RS0030 // rand.intn is random by definition (memoized per seed within one evaluation, as OPA does).
            return n == 0 ? Value.Number(0) : ctx.Memo("rand.intn", Value.Array(Value.String(seed), limit), () => Value.Number(Random.Shared.NextInt64(n)));
#pragma warning restore RS0030
        }, nondeterministic: true);
        Add(all, "to_number", 1, (_, a) => a[0] switch
        {
            NullValue => Value.Number(0),
            BooleanValue b => Value.Number(b.Value ? 1 : 0),
            NumberValue n => n,
            StringValue s => NumberValue.TryParse(s.Value, out var parsed) && !s.Value.StartsWith('+')
                ? parsed
                : throw Error("to_number", $"invalid syntax: {s}"),
            _ => throw TypeError("to_number", "null, boolean, number or string", a[0]),
        });
    }

    private static NumberValue Rounded(string name, Value value, Func<double, double> round)
    {
        var n = ArgNumber(name, value);
        return n.IsInteger ? n : Value.Number(round(n.AsDouble));
    }

    private static BigInteger RangeBound(string name, Value value, int position)
    {
        var n = ArgNumber(name, value);
        return n.IsInteger ? n.Integer : throw Error(name, $"operand {position} must be integer number but got floating-point number");
    }

    private static ArrayValue Range(BigInteger from, BigInteger to, BigInteger step)
    {
        var length = BigInteger.Abs(to - from) / step + 1;
        if (length > 10_000_000)
        {
            throw new RegoException("numbers.range: the range is too large");
        }

        var items = new Value[(int)length];
        var current = from;
        var delta = to >= from ? step : -step;
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = Value.Number(current);
            current += delta;
        }

        return Value.Array(items);
    }
}
