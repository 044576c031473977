using Soma.Policy.Rego.Values;

namespace Soma.Policy.Tests.Rego;

public sealed class ValueTests
{
    [Fact]
    public void Values_sort_by_kind_first_then_content()
    {
        Value[] sorted = [Value.Null, Value.False, Value.True, Value.Number(-1), Value.Number(2.5), Value.String("a"), Value.Array(), Value.Object(), Value.Set()];
        Assert.Equal(sorted, sorted.Reverse().Order());
    }

    [Fact]
    public void An_integral_float_equals_the_integer_and_hashes_alike()
    {
        Assert.Equal(Value.Number(2), Value.Number(2.0));
        Assert.Equal(Value.Number(2).GetHashCode(), Value.Number(2.0).GetHashCode());
        Assert.Equal(Value.Number(1000), NumberValue.Parse("1e3"));
        Assert.Equal("2.5", Value.Number(5) is var five ? NumberValue.Divide(five, Value.Number(2)).ToString() : "");
    }

    [Fact]
    public void Json_round_trips_and_sets_print_as_arrays()
    {
        var value = Value.ParseJson("""{"b":[1,2.5,"x",null,true],"a":{"c":12345678901234567890}}""");
        Assert.Equal("""{"a":{"c":12345678901234567890},"b":[1,2.5,"x",null,true]}""", value.ToJson());
        Assert.Equal("[1,2]", Value.Set(Value.Number(2), Value.Number(1), Value.Number(2)).ToJson());
        Assert.Equal("set()", Value.EmptySet.ToString());
    }
}
