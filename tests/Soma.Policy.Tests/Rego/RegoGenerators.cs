using CsCheck;

namespace Soma.Policy.Tests.Rego;

/// <summary>Random Rego source: modules of rules whose bodies, expressions, literals and comprehensions nest a few
/// levels. Binary expressions are parenthesized so an array of a union is not read as a comprehension.</summary>
internal static class RegoGenerators
{
    private static readonly string[] Variables = ["x", "y", "z", "_"];
    private static readonly string[] Operators = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "|", "&"];

    private static Gen<string> Scalar => Gen.OneOf(
        Gen.Int[-20, 300].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Double[-1000, 1000].Select(d => Math.Round(d, 3).ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
        Gen.OneOf(Gen.Const("\"a\""), Gen.Const("\"b c\""), Gen.Const("\"\\n\\\"q\\\"\""), Gen.Const("\"\\u00e9\""), Gen.Const("`raw`")),
        Gen.OneOf(Gen.Const("true"), Gen.Const("false"), Gen.Const("null")));

    // Variables are rarer than constants and references so that many generated bodies are safe and get evaluated.
    private static Gen<string> Leaf => Gen.Frequency(
        (4, Scalar),
        (1, Gen.OneOf(Variables.Select(Gen.Const).ToArray())),
        (3, Gen.OneOf(Gen.Const("input.a"), Gen.Const("input.b[0]"), Gen.Const("input.c.d"), Gen.Const("data.test.base"), Gen.Const("base"), Gen.Const("input"))));

    public static Gen<string> Term(int depth)
    {
        if (depth <= 0)
        {
            return Leaf;
        }

        var inner = Term(depth - 1);
        return Gen.OneOf(
            Leaf,
            inner.Array[0, 3].Select(items => $"[{string.Join(", ", items)}]"),
            inner.Array[1, 3].Select(items => $"{{{string.Join(", ", items)}}}"),
            Gen.Select(Scalar, inner).Array[0, 2].Select(pairs => $"{{{string.Join(", ", pairs.Select(p => $"{p.Item1}: {p.Item2}"))}}}"),
            Gen.Select(inner, Gen.OneOf(Operators.Select(Gen.Const).ToArray()), inner).Select((l, op, r) => $"({l} {op} {r})"),
            Gen.Select(inner, inner).Select((l, r) => $"({l} in {r})"),
            inner.Select(t => $"count({t})"),
            inner.Select(t => $"g({t})"),
            Gen.Select(inner, inner).Select((t, i) => $"{t}[{i}]"),
            Gen.Select(inner, Literal(depth - 1).Array[1, 2]).Select((t, body) => $"[{t} | {string.Join("; ", body)}]"),
            Gen.Select(inner, Literal(depth - 1).Array[1, 2]).Select((t, body) => $"{{{t} | {string.Join("; ", body)}}}"),
            Gen.Select(Scalar, inner, Literal(depth - 1).Array[1, 2]).Select((k, t, body) => $"{{{k}: {t} | {string.Join("; ", body)}}}"),
            Gen.Const("set()"));
    }

    public static Gen<string> Literal(int depth)
    {
        var term = Term(depth);
        var variable = Gen.OneOf(Gen.Const("x"), Gen.Const("y"), Gen.Const("z"));
        return Gen.OneOf(
            term,
            term.Select(t => $"not {t}"),
            Gen.Select(variable, term).Select((v, t) => $"{v} := {t}"),
            Gen.Select(term, term).Select((l, r) => $"{l} = {r}"),
            Gen.Select(variable, term).Select((v, t) => $"some {v} in {t}"),
            Gen.Select(variable, variable, term).Select((k, v, t) => $"some {k}, {v} in {t}"),
            Gen.Select(term, term).Select((t, w) => $"{t} with input.a as {w}"),
            depth > 0 ? Gen.Select(term, Literal(depth - 1)).Select((t, l) => $"every k, v in {t} {{ {l} }}") : term);
    }

    private static Gen<string> Body(int depth) => Literal(depth).Array[1, 4].Select(lits => string.Join("\n\t", lits));

    public static Gen<string> Rule(int depth)
    {
        var term = Term(depth);
        var body = Body(depth);
        var name = Gen.OneOf(Gen.Const("p0"), Gen.Const("p1"), Gen.Const("p2"));
        return Gen.OneOf(
            Gen.Select(name, term, body).Select((n, t, b) => $"{n} := {t} if {{\n\t{b}\n}}"),
            Gen.Select(name, term).Select((n, t) => $"{n} = {t}"),
            Gen.Select(term, body).Select((t, b) => $"s contains {t} if {{\n\t{b}\n}}"),
            Gen.Select(term, term, body).Select((k, t, b) => $"o[{k}] := {t} if {{\n\t{b}\n}}"),
            Gen.Select(term, body, term).Select((t, b, e) => $"f(x) := {t} if {{\n\t{b}\n}} else := {e}"),
            Scalar.Select(t => $"default p2 := {t}"),
            body.Select(b => $"allow if {{\n\t{b}\n}}"));
    }

    public static Gen<string> Module => Rule(2).Array[1, 5].Select(rules =>
        "package test\n\nimport rego.v1\n\nbase := {\"k\": [1, 2]}\n\ng(a) := a\n\n" + string.Join("\n\n", rules) + "\n");

    public static Gen<string> Input => Gen.OneOf(
        Gen.Const("{}"),
        Gen.Const("""{"a": 1, "b": [2, 3], "c": {"d": "x"}}"""),
        Gen.Const("""{"a": [1, "x", null], "b": {"k": true}, "c": {"d": [1, 2]}}"""),
        Gen.Const("""{"a": "s", "b": [], "c": 0}"""),
        Gen.Int[-5, 5].Select(i => "{\"a\": " + i + ", \"b\": [" + i + "], \"c\": {\"d\": " + i + "}}"));
}
