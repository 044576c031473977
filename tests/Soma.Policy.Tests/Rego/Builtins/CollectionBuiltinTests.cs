using Soma.Policy.Rego.Values;
using static Soma.Policy.Tests.Rego.Builtins.Call;

namespace Soma.Policy.Tests.Rego.Builtins;

public sealed class CollectionBuiltinTests
{
    [Fact]
    public void Arrays()
    {
        Is("[1, 2, 3, 4, 5, 6]", Builtin("array.concat", J("[1,2,3]"), J("[4,5,6]")));
        Is("[]", Builtin("array.concat", J("[]"), J("[]")));
        Assert.StartsWith("`array.concat` expects array argument.", Fails("array.concat", N(1), J("[2]")), StringComparison.Ordinal);
        Is("[1]", Builtin("array.slice", J("[1,2,3]"), N(0), N(1)));
        Is("[3]", Builtin("array.slice", J("[1,2,3]"), N(2), N(3)));
        Is("[1,2,3]", Builtin("array.slice", J("[1,2,3]"), N(-5), N(5)));
        Is("[]", Builtin("array.slice", J("[1,2,3]"), N(5), N(5)));
        Is("[]", Builtin("array.slice", J("[1,2,3]"), N(-5), N(0)));
        Assert.Null(Builtin("array.slice", J("[5]"), F(1.1), N(2)));
        Assert.StartsWith("`array.slice` expects numeric argument.", Fails("array.slice", J("[2]"), S("1"), N(2)), StringComparison.Ordinal);
        Assert.StartsWith("`array.slice` expects array argument.", Fails("array.slice", N(1), N(2), N(3)), StringComparison.Ordinal);
        Is("[3, 2, 1]", Builtin("array.reverse", J("[1,2,3]")));
        Assert.StartsWith("`array.reverse` expects array argument.", Fails("array.reverse", N(1)), StringComparison.Ordinal);
    }

    [Fact]
    public void Sets()
    {
        Assert.Equal(Set(N(2)), Builtin("intersection", Set(Set(N(1), N(2)), Set(N(2), N(3)))));
        Assert.Equal(Set(N(1), N(2), N(3)), Builtin("union", Set(Set(N(1), N(2)), Set(N(2), N(3)))));
        Assert.Equal(Set(), Builtin("union", Set()));
    }

    private static ObjectValue Sample() => O(
    [
        new(S("a"), N(5)), new(S("b"), N(6)), new(S("c"), N(7)), new(Set(N(1)), N(8)), new(J("""{"a":5}"""), N(9)),
        new(Value.True, Value.False), new(N(5), N(10)), new(Value.Null, N(5)),
    ]);

    [Fact]
    public void Object_keys_remove_filter()
    {
        var obj = Sample();
        Assert.Equal(Set(S("a"), S("b"), S("c"), Set(N(1)), J("""{"a":5}"""), Value.True, N(5), Value.Null), Builtin("object.keys", obj));
        var removed = Builtin("object.remove", obj, A(S("a"), S("b"), Set(N(1))));
        Assert.Equal(O([new(S("c"), N(7)), new(J("""{"a":5}"""), N(9)), new(Value.True, Value.False), new(N(5), N(10)), new(Value.Null, N(5))]), removed);
        Assert.Equal(removed, Builtin("object.remove", obj, Set(S("a"), S("b"), Set(N(1)))));
        Assert.Equal(removed, Builtin("object.remove", obj, O([new(S("a"), N(1)), new(S("b"), N(1)), new(Set(N(1)), N(1))])));
        Assert.Equal(O([new(S("a"), N(5)), new(Set(N(1)), N(8))]), Builtin("object.filter", obj, A(S("a"), Set(N(1)))));
        Is("""{"a":5,"c":7}""", Builtin("object.filter", obj, J("""{"a":1,"c":0}""")));
        Is("""{"a":5,"c":7}""", Builtin("object.filter", obj, Set(S("a"), S("c"))));
    }

    [Fact]
    public void Object_get_union_subset()
    {
        var obj = J("""{"a":{"b":[10,{"c":1}]}}""");
        Assert.Equal(N(1), Builtin("object.get", obj, J("""["a","b",1,"c"]"""), S("d")));
        Assert.Equal(S("d"), Builtin("object.get", obj, J("""["a","x"]"""), S("d")));
        Assert.Equal(obj, Builtin("object.get", obj, J("[]"), S("d")));
        Assert.Equal(S("d"), Builtin("object.get", obj, S("z"), S("d")));
        Is("""{"a":{"x":1,"y":3},"b":2}""", Builtin("object.union", J("""{"a":{"x":1,"y":2}}"""), J("""{"a":{"y":3},"b":2}""")));
        Is("""{"a":3,"b":2}""", Builtin("object.union_n", J("""[{"a":1},{"b":2},{"a":3}]""")));
        Assert.Equal(Value.True, Builtin("object.subset", J("""{"a":"b","c":{"x":[1,2,3],"y":"z"}}"""), J("""{"c":{"x":[1,2,3]}}""")));
        Assert.Equal(Value.True, Builtin("object.subset", J("[1,2,3,4]"), J("[2,3]")));
        Assert.Equal(Value.False, Builtin("object.subset", J("[1,2,3,4]"), J("[2,4]")));
        Assert.Equal(Value.True, Builtin("object.subset", J("[1,2,3,4]"), Set(N(4), N(2))));
    }

    [Fact]
    public void Json_filter_keeps_paths_through_objects_arrays_and_sets()
    {
        var obj = J("""{"a":5,"b":{"c":{"d":6},"d":7},"c":8}""");
        Is("""{"a":5,"b":{"c":{"d":6}}}""", Builtin("json.filter", obj, J("""["a","b/c"]""")));
        Is("""{"b":{"d":7},"c":8}""", Builtin("json.filter", obj, Set(S("c"), J("""["b","d"]"""))));
        var s = J("""{"a":[[1,[7,8,9],2],{"a":1,"b":2,"c":3}]}""");
        Is("""{"a":[]}""", Builtin("json.filter", s, A(A(S("a"), N(1)))));
        Is("""{"a":[[[8,9],2]]}""", Builtin("json.filter", s, A(S("a/0/1/2"), J("""["a","0","2"]"""), S("a/0/1/1"))));
        var t = Value.Object(("a", Set(N(1), N(2), Set(S("x")), Set(N(8), N(9), N(10)))));
        Assert.Equal(Value.Object(("a", Set(N(1)))), Builtin("json.filter", t, A(A(S("a"), N(1)))));
        Assert.Equal(Value.Object(("a", Set(Set(S("x"))))), Builtin("json.filter", t, A(A(S("a"), Set(S("x"))))));
        Assert.Equal(Value.Object(("a", Set(Set(N(9))))), Builtin("json.filter", t, A(A(S("a"), Set(N(8), N(9), N(10)), N(9)))));
        Is("""{"b":{"c":{"d":6}},"c":8}""", Builtin("json.remove", obj, J("""["a","b/d"]""")));
    }

    [Fact]
    public void Json_patch_applies_rfc6902_and_is_undefined_on_failure()
    {
        Value? Patch(Value doc, string patches) => Builtin("json.patch", doc, J(patches));
        Is("""{"a":{"foo":1,"bar":2}}""", Patch(J("""{"a":{"foo":1}}"""), """[{"op":"add","path":"/a/bar","value":2}]"""));
        Is("""{"a":{"foo":1}}""", Patch(J("""{"a":{"foo":1,"bar":2}}"""), """[{"op":"remove","path":"/a/bar"}]"""));
        Is("""{"a":{"foo":42}}""", Patch(J("""{"a":{"foo":1}}"""), """[{"op":"replace","path":"/a/foo","value":42}]"""));
        Is("""{"a":{},"b":{"foo":1}}""", Patch(J("""{"a":{"foo":1},"b":{}}"""), """[{"op":"move","from":"/a/foo","path":"/b/foo"}]"""));
        Is("""{"a":{"foo":1},"b":{"foo":1}}""", Patch(J("""{"a":{"foo":1},"b":{}}"""), """[{"op":"copy","from":"/a/foo","path":"/b/foo"}]"""));
        Is("""{"a":{"foo":1}}""", Patch(J("""{"a":{"foo":1}}"""), """[{"op":"test","path":"/a/foo","value":1}]"""));
        Is("""{"arr":[1,"inserted",2,3]}""", Patch(J("""{"arr":[1,2,3]}"""), """[{"op":"add","path":"/arr/1","value":"inserted"}]"""));
        Is("""{"arr":[1,2,3,4]}""", Patch(J("""{"arr":[1,2,3]}"""), """[{"op":"add","path":"/arr/-","value":4}]"""));
        Is("""{"arr":[1,3]}""", Patch(J("""{"arr":[1,2,3]}"""), """[{"op":"remove","path":"/arr/1"}]"""));
        Is("""{"foo/bar":{"baz~":1,"baz~test":2}}""", Patch(J("""{"foo/bar":{"baz~":1}}"""), """[{"op":"add","path":"/foo~1bar/baz~0test","value":2}]"""));
        Assert.Equal(Set(S("a"), S("b"), S("c"), S("d")), Patch(Set(S("a"), S("b"), S("c")), """[{"op":"add","path":["d"],"value":"d"}]"""));
        Assert.Equal(Set(S("a"), S("c")), Patch(Set(S("a"), S("b"), S("c")), """[{"op":"remove","path":["b"]}]"""));
        Assert.Equal(Set(S("a"), S("b"), S("c")), Patch(Set(S("a"), S("b"), S("c")), """[{"op":"move","from":["a"],"path":["a"]}]"""));
        Assert.Null(Patch(Set(S("a"), S("b")), """[{"op":"replace","path":["a"],"value":"c"}]"""));
        Assert.Null(Patch(J("""{"a":1}"""), """[{"op":"remove","path":""}]"""));
        Is("""{"b":2}""", Patch(J("""{"a":1}"""), """[{"op":"remove","path":""},{"op":"add","path":"","value":{"b":2}}]"""));
        var member = J("""{"a":[1,2]}""");
        Assert.Null(Builtin("json.patch", Set(member), A(Value.Object(("op", S("replace")), ("path", A(member, S("a"), N(1))), ("value", N(9))))));
        Assert.Equal(Set(member), Builtin("json.patch", Set(member), A(Value.Object(("op", S("test")), ("path", A(member, S("a"), N(1))), ("value", N(2))))));
        var one = J("""{"a":[1]}""");
        Assert.Equal(Set(J("""{"a":[1,1]}""")), Builtin("json.patch", Set(one), A(Value.Object(("op", S("copy")), ("from", A(one, S("a"), N(0))), ("path", A(one, S("a"), S("-")))))));
        Assert.Null(Patch(J("[1,2]"), """[{"op":"remove","path":[-1]}]"""));
        Assert.Null(Patch(J("[1,2]"), """[{"op":"remove","path":[999999999999999999999999999999999999]}]"""));
        Assert.Null(Patch(J("[1,2]"), """[{"op":"remove","path":"/01"}]"""));
        Assert.Null(Patch(J("[1,2]"), """[{"op":"remove","path":"/-"}]"""));
        Assert.Null(Patch(J("{}"), """[{"path":"/a","value":1}]"""));
        Assert.Null(Patch(J("{}"), """[{"op":"add","value":1}]"""));
        Assert.Null(Patch(J("{}"), """[{"op":"add","path":"/a"}]"""));
        Assert.Null(Patch(J("{}"), """[{"op":"move","path":"/a"}]"""));
        Assert.Null(Patch(J("{}"), """[{"op":1,"path":{},"value":1}]"""));
        Assert.Null(Patch(J("""{"a":{"b":1}}"""), """[{"op":"move","from":"/a","path":"/a/c"}]"""));
        var original = J("""{"a":[1,2,3]}""");
        Assert.Null(Builtin("json.patch", original, J("""[{"op":"remove","path":"/a/0"},{"op":"remove","path":"/missing"}]""")));
        Is("""{"a":[1,2,3]}""", original);
    }
}
