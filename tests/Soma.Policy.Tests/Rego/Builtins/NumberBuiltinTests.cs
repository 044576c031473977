using Soma.Policy.Rego.Values;
using static Soma.Policy.Tests.Rego.Builtins.Call;

namespace Soma.Policy.Tests.Rego.Builtins;

public sealed class NumberBuiltinTests
{
    [Fact]
    public void Arithmetic_keeps_integers_exact_and_names_the_operator_in_errors()
    {
        Assert.Equal(F(6.5), Builtin("plus", Builtin("plus", N(3), N(-1))!, F(4.5)));
        Assert.Equal(F(-0.5), Builtin("minus", Builtin("minus", N(3), N(-1))!, F(4.5)));
        Assert.Equal(F(-13.5), Builtin("mul", Builtin("mul", N(3), N(-1))!, F(4.5)));
        Assert.Equal(F(3.25), Builtin("div", N(13), N(4)));
        Assert.Equal("5.1000000000000005", Builtin("div", F(15.3), N(3))!.ToString());
        Assert.Equal(N(1), Builtin("rem", N(10), N(3)));
        Assert.Equal(F(1.5), Builtin("div", Builtin("rem", Builtin("div", N(16), N(2))!, N(5))!, N(2)));
        Assert.StartsWith("`add` expects numeric argument.", Fails("plus", S("1"), N(9)), StringComparison.Ordinal);
        Assert.StartsWith("`sub` expects numeric argument.", Fails("minus", S("1"), N(9)), StringComparison.Ordinal);
        Assert.StartsWith("`mul` expects numeric argument.", Fails("mul", S("1"), N(9)), StringComparison.Ordinal);
        Assert.StartsWith("`div` expects numeric argument.", Fails("div", S("1"), N(9)), StringComparison.Ordinal);
        Assert.StartsWith("`mod` expects numeric argument.", Fails("rem", S("1"), N(9)), StringComparison.Ordinal);
        Assert.Equal("divide by zero", Fails("div", N(1), N(0)));
        Assert.Equal("modulo by zero", Fails("rem", N(1), N(0)));
        Assert.Equal("modulo on floating-point number", Fails("rem", F(1.1), N(1)));
        Assert.Equal("modulo on floating-point number", Fails("rem", N(1), F(1.1)));
    }

    [Fact]
    public void Minus_of_sets_is_the_difference_and_and_or_are_intersection_and_union()
    {
        Assert.Equal(Set(N(1)), Builtin("minus", Set(N(1), N(2)), Set(N(2), N(3))));
        Assert.Equal(Set(N(2)), Builtin("and", Set(N(1), N(2)), Set(N(2), N(3))));
        Assert.Equal(Set(N(1), N(2), N(3)), Builtin("or", Set(N(1), N(2)), Set(N(2), N(3))));
    }

    [Fact]
    public void Comparisons_use_the_total_order()
    {
        Assert.Equal(Value.True, Builtin("equal", N(2), F(2.0)));
        Assert.Equal(Value.True, Builtin("neq", S("a"), N(1)));
        Assert.Equal(Value.True, Builtin("lt", N(1), S("a")));
        Assert.Equal(Value.True, Builtin("gte", A(N(1), N(2)), A(N(1))));
        Assert.Equal(Value.False, Builtin("gt", Value.Null, Value.False));
        Assert.Equal(Value.True, Builtin("lte", N(1), N(1)));
    }

    [Fact]
    public void Abs_ceil_floor_round()
    {
        Is("[9, 9, 9.1, 9.1]", A(Builtin("abs", N(-9))!, Builtin("abs", N(9))!, Builtin("abs", F(-9.1))!, Builtin("abs", F(9.1))!));
        Is("[10, -9, 9, -9]", A(Builtin("ceil", F(9.1))!, Builtin("ceil", F(-9.1))!, Builtin("ceil", N(9))!, Builtin("ceil", N(-9))!));
        Assert.Equal(N(-10), Builtin("floor", F(-9.1)));
        Assert.Equal(N(3), Builtin("round", F(2.5)));
        Assert.Equal(N(-3), Builtin("round", F(-2.5)));
        Assert.StartsWith("`abs` expects numeric argument", Fails("abs", S("-9")), StringComparison.Ordinal);
        Assert.StartsWith("`ceil` expects numeric argument", Fails("ceil", S("-9")), StringComparison.Ordinal);
    }

    [Fact]
    public void Ranges_run_either_way_and_need_integers()
    {
        Is("[1, 2, 3, 4, 5]", Builtin("numbers.range", N(1), N(5)));
        Is("[5, 4, 3, 2, 1]", Builtin("numbers.range", N(5), N(1)));
        Is("[-1, -2, -3, -4, -5]", Builtin("numbers.range", N(-1), N(-5)));
        Is("[8]", Builtin("numbers.range", N(8), N(8)));
        Assert.Contains("must be integer", Fails("numbers.range", F(1.01), N(5)), StringComparison.Ordinal);
        Assert.Contains("must be integer", Fails("numbers.range", N(1), F(5.01)), StringComparison.Ordinal);
        Assert.StartsWith("`numbers.range` expects numeric argument", Fails("numbers.range", S("1"), N(2)), StringComparison.Ordinal);
        Is("[0, 3, 6, 9]", Builtin("numbers.range_step", N(0), N(10), N(3)));
        Is("[10, 8, 6]", Builtin("numbers.range_step", N(10), N(6), N(2)));
        Assert.Contains("step must be a positive number", Fails("numbers.range_step", N(0), N(10), N(0)), StringComparison.Ordinal);
    }

    [Fact]
    public void Rand_intn_is_fixed_per_evaluation_and_key()
    {
        var context = new Soma.Policy.Rego.Builtins.BuiltinContext(Now);
        var x = Builtin(context, "rand.intn", S("x"), N(50000));
        Assert.Equal(x, Builtin(context, "rand.intn", S("x"), N(50000)));
        Assert.Equal(N(0), Builtin(context, "rand.intn", S("b"), N(0)));
        Assert.Null(Builtin(context, "rand.intn", S("a"), F(10.3)));
        var values = new HashSet<Value?>();
        for (var i = 0; i < 20; i++)
        {
            values.Add(Builtin(context, "rand.intn", S("k" + i), N(1_000_000)));
        }

        Assert.True(values.Count > 1);
        Assert.StartsWith("`rand.intn` expects string argument", Fails("rand.intn", N(1), N(2)), StringComparison.Ordinal);
        Assert.StartsWith("`rand.intn` expects numeric argument", Fails("rand.intn", S("a"), S("b")), StringComparison.Ordinal);
    }

    [Fact]
    public void Aggregates()
    {
        Is("[4, 2, 1, 0, 0, 6, 0, 0]", A(
            Builtin("sum", J("[-1, 3, 2]"))!, Builtin("sum", J("[1, 2, -1]"))!, Builtin("sum", J("[1, -1, 2, -1]"))!, Builtin("sum", J("[]"))!,
            Builtin("sum", J("[0]"))!, Builtin("sum", Set(N(3), N(2), N(1)))!, Builtin("sum", Set())!, Builtin("sum", Set(N(0)))!));
        Is("[-6, -2, 2, 1, 0, 6, 1, 0]", A(
            Builtin("product", J("[-1, 3, 2]"))!, Builtin("product", J("[1, 2, -1]"))!, Builtin("product", J("[1, -1, 2, -1]"))!, Builtin("product", J("[]"))!,
            Builtin("product", J("[0]"))!, Builtin("product", Set(N(3), N(2), N(1)))!, Builtin("product", Set())!, Builtin("product", Set(N(0)))!));
        Assert.Equal(N(3), Builtin("max", J("[-1, 3, 2]")));
        Assert.Equal(N(2), Builtin("max", Set(N(1), N(2), N(-1))));
        Assert.Equal(N(-1), Builtin("min", J("[-1, 3, 2]")));
        Assert.Null(Builtin("max", J("[]")));
        Assert.Null(Builtin("min", Set()));
        foreach (var name in new[] { "sum", "product", "max", "min" })
        {
            foreach (var bad in new[] { Value.Null, Value.True, N(1), S("a"), J("{}") })
            {
                Assert.StartsWith($"`{name}` requires array/set argument.", Fails(name, bad), StringComparison.Ordinal);
            }
        }

        Assert.Equal(N(2), Builtin("count", S("μx")));
        Assert.Equal(N(1), Builtin("count", S("😀")));
        Assert.Equal(N(2), Builtin("count", J("""{"a":1,"b":2}""")));
        Is("[1, 2, 3]", Builtin("sort", J("[3, 1, 2]")));
    }

    [Fact]
    public void Bits()
    {
        Assert.Equal(N(1), Builtin("bits.or", N(1), N(0)));
        Assert.Equal(N(0), Builtin("bits.and", N(1), N(0)));
        Assert.Equal(N(0), Builtin("bits.xor", N(1), N(1)));
        Is("[-2, -1, -10, 49]", A(Builtin("bits.negate", N(1))!, Builtin("bits.negate", N(0))!, Builtin("bits.negate", N(9))!, Builtin("bits.negate", N(-50))!));
        Assert.Equal(N(36), Builtin("bits.lsh", N(9), N(2)));
        Assert.Equal(N(2), Builtin("bits.rsh", N(9), N(2)));
        foreach (var name in new[] { "bits.or", "bits.and", "bits.xor", "bits.lsh", "bits.rsh" })
        {
            Assert.Equal($"`{name}` expects numeric argument. Got `\"str\"` instead", Fails(name, N(1), S("str")));
            Assert.Equal($"`{name}` expects numeric argument. Got `\"str\"` instead", Fails(name, S("str"), N(1)));
        }

        Assert.Equal("`bits.negate` expects numeric argument. Got `\"str\"` instead", Fails("bits.negate", S("str")));
    }

    [Fact]
    public void Types()
    {
        Value[] items = [J("[]"), Value.True, Value.Null, N(0), J("{}"), Set(), S("abc")];
        string[] names = ["array", "boolean", "null", "number", "object", "set", "string"];
        string[] predicates = ["is_array", "is_boolean", "is_null", "is_number", "is_object", "is_set", "is_string"];
        for (var i = 0; i < items.Length; i++)
        {
            Assert.Equal(S(names[i]), Builtin("type_name", items[i]));
            for (var p = 0; p < predicates.Length; p++)
            {
                Assert.Equal(Value.Bool(p == i), Builtin(predicates[p], items[i]));
            }
        }
    }

    [Fact]
    public void Units()
    {
        string[] decimals = ["E", "e", "P", "p", "T", "t", "G", "g", "M", "K", "k", "m"];
        double[] expected = [1e18, 1e18, 1e15, 1e15, 1e12, 1e12, 1e9, 1e9, 1e6, 1e3, 1e3, 1e-3];
        for (var i = 0; i < decimals.Length; i++)
        {
            Assert.Equal(F(expected[i]), Builtin("units.parse", S("1" + decimals[i])));
        }

        Assert.Equal(J("1000000000000000000000000000000"), Builtin("units.parse", S("1Q")));
        Assert.Equal(F(1e-30), Builtin("units.parse", S("1q")));
        Assert.Equal(F(1e-6), Builtin("units.parse", S("1μ")));
        Assert.Equal(N(1024), Builtin("units.parse", S("1kI")));
        Assert.Equal(J("1208925819614629174706176"), Builtin("units.parse", S("1YI")));
        Assert.Equal(N(1), Builtin("units.parse", S("\"1\"")));
        Assert.Equal(N(1500), Builtin("units.parse", S("1.5K")));
        Assert.Null(Builtin("units.parse", S("1mb")));
        Assert.Contains("spaces not allowed in resource string", Fails("units.parse", S("1 m")), StringComparison.Ordinal);
        Assert.Contains("expects string argument", Fails("units.parse", A(S("1"))), StringComparison.Ordinal);

        foreach (var suffix in new[] { "ki", "kib", "KiB", "KIb", "kI" })
        {
            Assert.Equal(N(1024), Builtin("units.parse_bytes", S("1" + suffix)));
        }

        Assert.Equal(J("1208925819614629174706176"), Builtin("units.parse_bytes", S("1YiB")));
        Assert.Equal(J("1000000000000000000000000000000"), Builtin("units.parse_bytes", S("1QB")));
        Assert.Equal(N(1000000), Builtin("units.parse_bytes", S("1mb")));
        Assert.Equal(N(1536), Builtin("units.parse_bytes", S("1.5Ki")));
        Assert.Contains("spaces not allowed in resource string", Fails("units.parse_bytes", S("1 m")), StringComparison.Ordinal);
    }
}
