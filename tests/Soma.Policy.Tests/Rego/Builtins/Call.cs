using Soma.Policy.Rego;
using Soma.Policy.Rego.Builtins;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Tests.Rego.Builtins;

/// <summary>Calls a registered builtin directly, as the interpreter will.</summary>
internal static class Call
{
    public static readonly DateTimeOffset Now = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static Value? Builtin(string name, params Value[] args) => Builtin(new BuiltinContext(Now), name, args);

    public static Value? Builtin(BuiltinContext context, string name, params Value[] args)
    {
        Assert.True(BuiltinRegistry.Default.TryGet(name, out var builtin), $"{name} is not registered");
        Assert.Equal(args.Length, builtin.Arity);
        return builtin.Function(context, args);
    }

    public static string Fails(string name, params Value[] args) => Assert.Throws<RegoException>(() => Builtin(name, args)).Message;

    public static Value J(string json) => Value.ParseJson(json);

    public static NumberValue N(long value) => Value.Number(value);

    public static NumberValue F(double value) => Value.Number(value);

    public static StringValue S(string value) => Value.String(value);

    public static ArrayValue A(params Value[] items) => Value.Array(items);

    public static SetValue Set(params Value[] items) => Value.Set(items);

    public static ObjectValue O(KeyValuePair<Value, Value>[] members) => Value.Object((IEnumerable<KeyValuePair<Value, Value>>)members);

    public static void Is(string expectedJson, Value? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(J(expectedJson), actual);
    }
}
