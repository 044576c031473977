using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddOperators(List<Builtin> all)
    {
        // Arithmetic errors name the operator as the corpus does (`add`, `sub`, `mod`): the user wrote `+`, not `plus`.
        Add(all, "plus", 2, (_, a) => ArgNumber("add", a[0]) + ArgNumber("add", a[1]));
        Add(all, "minus", 2, (_, a) =>
        {
            if (a[0] is SetValue left && a[1] is SetValue right)
            {
                return Value.Set(left.Items.Except(right.Items));
            }

            var (x, y) = Arith("sub", a[0], a[1]);
            return x - y;
        });
        Add(all, "mul", 2, (_, a) => ArgNumber("mul", a[0]) * ArgNumber("mul", a[1]));
        Add(all, "div", 2, (_, a) =>
        {
            var (x, y) = Arith("div", a[0], a[1]);
            return y.IsZero ? throw new RegoException("divide by zero") : NumberValue.Divide(x, y);
        });
        Add(all, "rem", 2, (_, a) =>
        {
            var (x, y) = Arith("mod", a[0], a[1]);
            if (!x.IsInteger || !y.IsInteger)
            {
                throw new RegoException("modulo on floating-point number");
            }

            return y.IsZero ? throw new RegoException("modulo by zero") : Value.Number(System.Numerics.BigInteger.Remainder(x.Integer, y.Integer));
        });
        Add(all, "equal", 2, (_, a) => Value.Bool(a[0].Equals(a[1])));
        Add(all, "neq", 2, (_, a) => Value.Bool(!a[0].Equals(a[1])));
        Add(all, "lt", 2, (_, a) => Value.Bool(a[0].CompareTo(a[1]) < 0));
        Add(all, "gt", 2, (_, a) => Value.Bool(a[0].CompareTo(a[1]) > 0));
        Add(all, "lte", 2, (_, a) => Value.Bool(a[0].CompareTo(a[1]) <= 0));
        Add(all, "gte", 2, (_, a) => Value.Bool(a[0].CompareTo(a[1]) >= 0));
        Add(all, "and", 2, (_, a) => Value.Set(ArgSet("and", a[0]).Items.Intersect(ArgSet("and", a[1]).Items)));
        Add(all, "or", 2, (_, a) => Value.Set(ArgSet("or", a[0]).Items.Union(ArgSet("or", a[1]).Items)));
    }

    private static (NumberValue X, NumberValue Y) Arith(string name, Value left, Value right) =>
        (ArgNumber(name, left), ArgNumber(name, right));
}
