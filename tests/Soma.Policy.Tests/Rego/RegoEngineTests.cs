using Soma.Policy.Rego;
using Soma.Policy.Rego.Builtins;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Tests.Rego;

/// <summary>The engine without the builtins library: operators use their fallbacks.</summary>
public sealed class RegoEngineTests
{
    private static readonly BuiltinRegistry NoBuiltins = new(
    [
        new Builtin("now", 0, (_, _) => Value.Number(1)),
        new Builtin("pair", 1, (_, a) => Value.Array(a[0])),
    ]);

    private static CompiledPolicy Compile(string text, string? data = null) =>
        RegoCompiler.Compile([new RegoSource("policy.rego", text)], data is null ? null : Value.ParseJson(data), NoBuiltins);

    [Fact]
    public void An_evaluation_past_its_timeout_is_cancelled()
    {
        // A million-solution cross product: far longer than a millisecond.
        var numbers = "{\"xs\": [" + string.Join(',', Enumerable.Range(1, 1000)) + "]}";
        var policy = Compile("package p\nimport rego.v1\npairs contains [i, j] if {\n some i in data.xs\n some j in data.xs\n}\n", numbers);
        var query = policy.Prepare("data.p.pairs");
        Assert.Throws<OperationCanceledException>(() => query.Evaluate(null, new EvaluationOptions { Timeout = TimeSpan.FromMilliseconds(1) }));
    }

    [Theory]
    [InlineData("package p\n\nx := [1, 2", "policy.rego:3:")]
    [InlineData("package p\nx := 1 +", "policy.rego:2:")]
    [InlineData("package p\nx := \"unterminated", "policy.rego:2:6")]
    [InlineData("package p\nimport foo", "policy.rego:2:8")]
    [InlineData("x := 1", "policy.rego:1:1")]
    [InlineData("package p\nx := - y", "policy.rego:2:6")]
    public void Parse_errors_name_file_line_and_column(string text, string place)
    {
        var error = Assert.Throws<RegoException>(() => RegoParser.ParseModule(new RegoSource("policy.rego", text)));
        Assert.Contains(place, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_errors_are_all_listed_with_places()
    {
        var error = Assert.Throws<RegoException>(() => Compile("package p\n\na if missing(1)\n\nb if { x > 1 }\n"));
        Assert.Contains("policy.rego:3:6: could not find function `missing`", error.Message, StringComparison.Ordinal);
        Assert.Contains("policy.rego:5:8: var `x` is unsafe", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("p := 1\np contains 2")]
    [InlineData("f(x) := 1\nf(x, y) := 2")]
    [InlineData("a := 1\na.b := 2")]
    [InlineData("f(x) := 1\nf := 2")]
    public void Conflicting_rule_kinds_are_compile_errors(string rules)
    {
        var error = Assert.Throws<RegoException>(() => Compile("package p\nimport rego.v1\n" + rules + "\n"));
        Assert.Matches(@"policy\.rego:[34]:1: (conflicting rules `p\.[afp]`|function `p\.f` has definitions)", error.Message);
    }

    [Fact]
    public void Recursion_is_a_compile_error()
    {
        var error = Assert.Throws<RegoException>(() => Compile("package p\na := b\nb := a\n"));
        Assert.Contains("recursion", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_sets_objects_functions_and_defaults()
    {
        var policy = Compile("""
            package p
            import rego.v1

            default allow := false
            allow if input.user == "admin"

            names contains n if some n in input.names
            by_name[n] := count if {
                some n in input.names
                count := 1
            }
            double(x) := x * 2
            sign(x) := "neg" if x < 0
            else := "zero" if x == 0
            else := "pos"
            a.b.c := 1
            a.b.d := 2
            """);
        var input = Value.ParseJson("""{"user": "admin", "names": ["x", "y"]}""");
        Assert.Equal(Value.True, policy.Evaluate("data.p.allow", input));
        Assert.Equal(Value.False, policy.Evaluate("data.p.allow", Value.ParseJson("{}")));
        Assert.Equal(Value.Set(Value.String("x"), Value.String("y")), policy.Evaluate("data.p.names", input));
        Assert.Equal(Value.ParseJson("""{"x": 1, "y": 1}"""), policy.Evaluate("data.p.by_name", input));
        Assert.Equal(Value.Number(42), policy.Evaluate("data.p.double(21)"));
        Assert.Equal(Value.ParseJson("""["neg", "zero", "pos"]"""), policy.Evaluate("[data.p.sign(-1), data.p.sign(0), data.p.sign(5)]"));
        Assert.Equal(Value.ParseJson("""{"c": 1, "d": 2}"""), policy.Evaluate("data.p.a.b"));
    }

    [Fact]
    public void Every_some_not_comprehensions_and_unification()
    {
        var policy = Compile("""
            package p
            import rego.v1

            all_positive if every x in input.xs { x > 0 }
            pairs := {k: v | some k, v in input.obj}
            evens := [x | some x in input.xs; x % 2 == 0]
            none_big if not input.xs[_] > 100
            swapped := [b, a] if [a, b] = input.xs
            """);
        var input = Value.ParseJson("""{"xs": [2, 4], "obj": {"a": 1}}""");
        Assert.Equal(Value.True, policy.Evaluate("data.p.all_positive", input));
        Assert.Null(policy.Evaluate("data.p.all_positive", Value.ParseJson("""{"xs": [1, -1]}""")));
        Assert.Equal(Value.ParseJson("""{"a": 1}"""), policy.Evaluate("data.p.pairs", input));
        Assert.Equal(Value.ParseJson("[2, 4]"), policy.Evaluate("data.p.evens", input));
        Assert.Equal(Value.True, policy.Evaluate("data.p.none_big", input));
        Assert.Equal(Value.ParseJson("[4, 2]"), policy.Evaluate("data.p.swapped", input));
    }

    [Fact]
    public void With_overrides_input_data_and_functions()
    {
        var policy = Compile("""
            package p
            import rego.v1

            limit := data.config.limit
            over if input.n > limit
            f(x) := x + 1
            g(x) := x + 100
            via_f := f(1)
            twice(x) := [x, x]
            via_builtin := [now(), pair(7)]
            checks := [o1, o2, o3, o4] if {
                o1 := over with input.n as 10
                o2 := limit with data.config.limit as 3
                o3 := via_f with f as g
                o4 := via_builtin with now as 42 with pair as twice
            }
            """, """{"config": {"limit": 5}}""");
        Assert.Equal(Value.ParseJson("[true, 3, 101, [42, [7, 7]]]"), policy.Evaluate("data.p.checks"));
        Assert.Equal(Value.True, policy.Evaluate("data.p.over with input.n as 10"));
        Assert.Null(policy.Evaluate("data.p.over with input.n as 1"));
        Assert.Equal(Value.False, policy.Evaluate("data.p.limit == 1 with data.config.limit as 9"));
        Assert.Equal(Value.Number(9), policy.Evaluate("data.p.limit with data.config.limit as 9"));
    }

    [Fact]
    public void Conflicts_and_division_by_zero_are_evaluation_errors()
    {
        var policy = Compile("""
            package p
            import rego.v1

            x := 1
            x := 2
            o[k] := v if { some k, v in {"a": 1}; true }
            o["a"] := 2
            d := 1 / input.zero
            """);
        Assert.Throws<RegoException>(() => policy.Evaluate("data.p.x"));
        var error = Assert.Throws<RegoException>(() => policy.Evaluate("data.p.d", Value.ParseJson("""{"zero": 0}""")));
        Assert.Contains("divide by zero", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Print_walk_and_queries_with_bindings()
    {
        var lines = new List<string>();
        var policy = Compile("""
            package p
            import rego.v1

            shown if {
                print("value", input.a, input.missing)
            }
            paths := [p | walk(input, [p, _])]
            """);
        var options = new EvaluationOptions { Print = lines.Add };
        Assert.Equal(Value.True, policy.Evaluate("data.p.shown", Value.ParseJson("""{"a": [1]}"""), options));
        Assert.Equal(["value [1] <undefined>"], lines);
        Assert.Equal(Value.ParseJson("""[[], ["a"], ["a", 0]]"""), policy.Evaluate("data.p.paths", Value.ParseJson("""{"a": [1]}""")));
        Assert.Equal(Value.ParseJson("""{"x": 2}"""), policy.Evaluate("x := input.a[_]; x > 1", Value.ParseJson("""{"a": [1, 2]}""")));
        Assert.Equal(3, policy.Prepare("input.a[_]").EvaluateAll(Value.ParseJson("""{"a": [1, 2, 3]}""")).Count);
    }

    [Fact]
    public void Tests_traces_and_coverage()
    {
        var policy = Compile("""
            package p
            import rego.v1

            allow if input.ok
            test_allow if allow with input as {"ok": true}
            test_deny if allow with input as {"ok": false}
            """);
        var results = policy.RunTests();
        Assert.Contains(results, r => r is { Name: "test_allow", Passed: true, Package: "p" });
        Assert.Contains(results, r => r is { Name: "test_deny", Passed: false });
        var fired = new List<RuleTrace>();
        var coverage = new HashSet<SourceLocation>();
        policy.Evaluate("data.p.allow", Value.ParseJson("""{"ok": true}"""), new EvaluationOptions { OnRuleFired = fired.Add, Coverage = coverage });
        Assert.Contains(fired, t => t.Path == "p.allow" && t.Location.Line == 4);
        Assert.Contains(coverage, l => l.Line == 4);
    }

    [Fact]
    public void Parallel_evaluations_of_one_policy_agree()
    {
        var policy = Compile("""
            package p
            import rego.v1

            default decision := "deny"
            decision := "allow" if {
                some role in input.roles
                role in data.allowed
            }
            score := sum_of if sum_of := [x | some x in input.scores][0] + count_roles
            count_roles := n if n := [r | some r in input.roles; true][_]
            """, """{"allowed": ["admin", "ops"]}""");
        var inputs = Enumerable.Range(0, 64)
            .Select(i => Value.ParseJson($$"""{"roles": ["{{(i % 3 == 0 ? "admin" : "user")}}"], "scores": [{{i}}]}"""))
            .ToArray();
        var expected = inputs.Select(i => policy.Evaluate("data.p.decision", i)).ToArray();
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, n =>
        {
            var i = n % inputs.Length;
            Assert.Equal(expected[i], policy.Evaluate("data.p.decision", inputs[i]));
        });
        Assert.Equal(Value.String("allow"), expected[0]);
        Assert.Equal(Value.String("deny"), expected[1]);
    }

    [Fact]
    public void Printer_round_trips_a_module()
    {
        const string Text = """
            package p.q
            import rego.v1
            import data.lib as l

            default allow := false
            allow if {
              some x in input.xs
              not x == "b"
              [a, {"k": b}] := [1, {"k": 2}]
              y := {v | some v in [1, 2, 3]; v > (1 + 2) * 3}
              every k, v in input.m { k != v }
            } else := true
            s contains x if x := l.f(1)
            o[k] := `raw\n` if k := "a"
            """;
        var printed = RegoPrinter.Print(RegoParser.ParseModule(new RegoSource("m.rego", Text)));
        Assert.Equal(printed, RegoPrinter.Print(RegoParser.ParseModule(new RegoSource("m.rego", printed))));
        Assert.Contains("(1 + 2) * 3", printed, StringComparison.Ordinal);
    }
}
