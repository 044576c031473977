using Soma.Policy.Rego.Values;
using static Soma.Policy.Tests.Rego.Builtins.Call;

namespace Soma.Policy.Tests.Rego.Builtins;

public sealed class StringBuiltinTests
{
    [Fact]
    public void Contains_startswith_endswith_and_their_type_errors()
    {
        Assert.Equal(Value.True, Builtin("contains", S("Hello, world"), S(", ")));
        Assert.Equal(Value.True, Builtin("contains", S(""), S("")));
        Assert.Equal(Value.False, Builtin("contains", S(""), S(",")));
        Assert.Equal(Value.True, Builtin("endswith", S("Hello, world"), S("ld")));
        Assert.Equal(Value.False, Builtin("endswith", S(""), S("ld")));
        Assert.Equal(Value.True, Builtin("startswith", S("Hello"), S("He")));
        foreach (var name in new[] { "contains", "endswith", "startswith", "indexof" })
        {
            foreach (var bad in new[] { Value.Null, Value.True, N(1), J("[]"), Set(), J("{}") })
            {
                Assert.StartsWith($"`{name}` expects string argument.", Fails(name, bad, S("a")), StringComparison.Ordinal);
                Assert.StartsWith($"`{name}` expects string argument.", Fails(name, S("a"), bad), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Indexof_counts_code_points()
    {
        Assert.Equal(N(2), Builtin("indexof", S("Hello world"), S("llo")));
        Assert.Equal(N(-1), Builtin("indexof", S("Hello world"), S("hel")));
        Assert.Equal(N(-1), Builtin("indexof", S(""), S("")));
        Assert.Equal(N(1), Builtin("indexof", S("μx"), S("x")));
        Assert.Equal(N(-1), Builtin("indexof", S("μ"), S("μμ")));
        Assert.Equal(N(9), Builtin("indexof", S("skön var våren"), S("vår")));
        Assert.Equal(N(1), Builtin("indexof", S("😀x"), S("x")));
        Is("[0, 2]", Builtin("indexof_n", S("abab"), S("a")));
    }

    [Fact]
    public void Lower_and_upper_are_unicode_aware()
    {
        Assert.Equal(S("aabab09_"), Builtin("lower", S("aabAB09_")));
        Assert.Equal(S("σ"), Builtin("lower", S("Σ")));
        Assert.Equal(S("ὀδυσσεύς"), Builtin("lower", S("ὈΔΥΣΣΕΎΣ")));
        Assert.Equal(S("long\u0250string"), Builtin("lower", S("LONG\u2C6FSTRING")));
        Assert.Equal(S("ABC"), Builtin("upper", S("abc")));
        Assert.StartsWith("`lower` expects string argument.", Fails("lower", N(1)), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_int_truncates_and_checks_the_base()
    {
        Assert.Equal(S("1010"), Builtin("format_int", N(10), N(2)));
        Assert.Equal(S("12"), Builtin("format_int", F(10.7), N(8)));
        Assert.Equal(S("a"), Builtin("format_int", N(10), N(16)));
        Assert.Equal(S("-1010"), Builtin("format_int", F(-10.765), N(2)));
        Assert.Equal(S("-10"), Builtin("format_int", F(-10.999999999), N(10)));
        Assert.Equal("`format_int` expects numeric argument. Got `\"10\"` instead", Fails("format_int", S("10"), N(2)));
        Assert.Equal("`format_int` expects base to be one of 2, 8, 10, 16", Fails("format_int", N(10), N(4)));
        Assert.Equal("`format_int` expects numeric argument. Got `\"2\"` instead", Fails("format_int", N(10), S("2")));
    }

    [Fact]
    public void Split_concat_replace_trim_substring()
    {
        Is("""["t","e","s","t"]""", Builtin("split", S("test"), S("")));
        Is("[]", Builtin("split", S(""), S("")));
        Is("""["a","b",""]""", Builtin("split", S("a,b,"), S(",")));
        Assert.Equal(S("a-b"), Builtin("concat", S("-"), J("""["a","b"]""")));
        Assert.Equal(S("a,b"), Builtin("concat", S(","), Set(S("b"), S("a"))));
        Assert.Equal(S("xaxbx"), Builtin("replace", S("ab"), S(""), S("x")));
        Assert.Equal(S("a.b.c"), Builtin("replace", S("a-b-c"), S("-"), S(".")));
        Assert.Equal(S("b"), Builtin("trim", S("aba"), S("a")));
        Assert.Equal(S("ba"), Builtin("trim_left", S("aba"), S("a")));
        Assert.Equal(S("ab"), Builtin("trim_right", S("aba"), S("a")));
        Assert.Equal(S("ba"), Builtin("trim_prefix", S("aba"), S("a")));
        Assert.Equal(S("ab"), Builtin("trim_suffix", S("aba"), S("a")));
        Assert.Equal(S("x"), Builtin("trim_space", S(" \tx\n")));
        Assert.Equal(S("ll"), Builtin("substring", S("hello"), N(2), N(2)));
        Assert.Equal(S("llo"), Builtin("substring", S("hello"), N(2), N(-1)));
        Assert.Equal(S(""), Builtin("substring", S("hello"), N(9), N(1)));
        Assert.Equal(S("cba"), Builtin("strings.reverse", S("abc")));
        Assert.Equal(S("1 2 c"), Builtin("strings.replace_n", J("""{"a":"1","b":"2"}"""), S("a b c")));
        Assert.Equal(N(2), Builtin("strings.count", S("cheese"), S("e")) is NumberValue n && n.Equals(N(3)) ? N(2) : N(0));
        Assert.Equal(Value.True, Builtin("strings.any_prefix_match", J("""["a/b","c"]"""), S("a/")));
        Assert.Equal(Value.False, Builtin("strings.any_suffix_match", S("abc"), J("""["x","y"]""")));
    }

    [Fact]
    public void Sprintf_renders_like_go()
    {
        string Sprintf(string format, params Value[] args) => ((StringValue)Builtin("sprintf", S(format), A(args))!).Value;
        Assert.Equal("User alice from engineering has access", Sprintf("User %s from %s has access", S("alice"), S("engineering")));
        Assert.Equal("Number: 42", Sprintf("Number: %d", N(42)));
        Assert.Equal("Float: 3.140000", Sprintf("Float: %f", F(3.14)));
        Assert.Equal("Hex: ff", Sprintf("Hex: %x", N(255)));
        Assert.Equal("Octal: 100", Sprintf("Octal: %o", N(64)));
        Assert.Equal("Binary: 1111", Sprintf("Binary: %b", N(15)));
        Assert.Equal("String: hello, Number: 123, Percent: %", Sprintf("String: %s, Number: %d, Percent: %%", S("hello"), N(123)));
        Assert.Equal("Value: {\"key\": \"value\"}", Sprintf("Value: %v", J("""{"key":"value"}""")));
        Assert.Equal("Padded:    42", Sprintf("Padded: %5d", N(42)));
        Assert.Equal("Zero padded: 00042", Sprintf("Zero padded: %05d", N(42)));
        Assert.Equal("Decimal: 3.14", Sprintf("Decimal: %.2f", F(3.14159)));
        Assert.Equal("Value: only_one %!d(MISSING)", Sprintf("Value: %s %d", S("only_one")));
        Assert.Equal("3.14 1.2345675e+06 1e-05 [1, \"a\"] true", Sprintf("%v %v %v %v %v", F(3.14), F(1234567.5), F(0.00001), A(N(1), S("a")), Value.True));
        Assert.Equal("\"hi\" %!d(string=x) |a  | 2.500000e+00 -7 +7", Sprintf("%q %d |%-3s| %e %d %+d", S("hi"), S("x"), S("a"), F(2.5), N(-7), N(7)));
        Assert.Equal("%!s(int=1) set()%!(EXTRA int=2)", Sprintf("%s %v", N(1), Set(), N(2)));
    }
}
