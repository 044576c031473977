using System.Collections.Immutable;
using System.Numerics;
using Soma.Policy.Rego.Builtins;
using Soma.Policy.Rego.Syntax;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Compilation;

/// <summary>
/// The builtins behind infix operators, by OPA's names. The registry's own are used when it has them (so error texts
/// come from the builtins library); these fallbacks keep a registry without them (a test's) able to do arithmetic.
/// </summary>
internal static class Operators
{
    private static readonly Dictionary<string, Builtin> Fallbacks = new(StringComparer.Ordinal)
    {
        ["plus"] = new("plus", 2, (_, a) => Numbers("plus", a, static (x, y) => x + y)),
        ["minus"] = new("minus", 2, Minus),
        ["mul"] = new("mul", 2, (_, a) => Numbers("mul", a, static (x, y) => x * y)),
        ["div"] = new("div", 2, (_, a) => Numbers("div", a, static (x, y) => y.IsZero ? throw new RegoException("divide by zero") : NumberValue.Divide(x, y))),
        ["rem"] = new("rem", 2, (_, a) => Numbers("rem", a, Remainder)),
        ["and"] = new("and", 2, (_, a) => Sets("and", a, static (x, y) => x.Intersect(y))),
        ["or"] = new("or", 2, (_, a) => Sets("or", a, static (x, y) => x.Union(y))),
    };

    public static string NameOf(BinaryOperator op) => op switch
    {
        BinaryOperator.Plus => "plus",
        BinaryOperator.Minus => "minus",
        BinaryOperator.Multiply => "mul",
        BinaryOperator.Divide => "div",
        BinaryOperator.Remainder => "rem",
        BinaryOperator.Intersection => "and",
        BinaryOperator.Union => "or",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static Builtin Resolve(BuiltinRegistry registry, BinaryOperator op)
    {
        var name = NameOf(op);
        return registry.TryGet(name, out var builtin) ? builtin : Fallbacks[name];
    }

    private static NumberValue Remainder(NumberValue x, NumberValue y)
    {
        if (!x.IsInteger || !y.IsInteger)
        {
            throw new RegoException("modulo on floating-point number");
        }

        return y.IsZero ? throw new RegoException("modulo by zero") : NumberValue.FromInteger(BigInteger.Remainder(x.Integer, y.Integer));
    }

    private static Value Minus(BuiltinContext context, ReadOnlySpan<Value> arguments)
    {
        if (arguments[0] is SetValue && arguments[1] is SetValue)
        {
            return Sets("minus", arguments, static (x, y) => x.Except(y));
        }

        return Numbers("minus", arguments, static (x, y) => x - y);
    }

    private static NumberValue Numbers(string name, ReadOnlySpan<Value> arguments, Func<NumberValue, NumberValue, NumberValue> operation)
    {
        foreach (var argument in arguments)
        {
            if (argument is not NumberValue)
            {
                throw new RegoException($"`{name}` expects numeric argument. Got `{argument}` instead");
            }
        }

        return operation((NumberValue)arguments[0], (NumberValue)arguments[1]);
    }

    private static SetValue Sets(string name, ReadOnlySpan<Value> arguments, Func<ImmutableSortedSet<Value>, ImmutableSortedSet<Value>, ImmutableSortedSet<Value>> operation)
    {
        if (arguments[0] is not SetValue left || arguments[1] is not SetValue right)
        {
            throw new RegoException($"`{name}` expects set arguments");
        }

        return Value.Set(operation(left.Items, right.Items));
    }
}
