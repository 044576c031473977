using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Soma.Tools.BuiltIn;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.BuiltIn;

public sealed partial class MathEvaluateToolTests
{
    private readonly MathEvaluateTool _tool = new();

    [Theory]
    [InlineData("2+3*4", "14")]
    [InlineData("2*3+4", "10")]
    [InlineData("2^3^2", "512")]
    [InlineData("(2^3)^2", "64")]
    [InlineData("-2^2", "-4")]
    [InlineData("(-2)^2", "4")]
    [InlineData("2^-1", "0.5")]
    [InlineData("(1+2)*3", "9")]
    [InlineData("7%4", "3")]
    [InlineData("-7%4", "-3")]
    [InlineData("10/4", "2.5")]
    [InlineData("10-4-3", "3")]
    [InlineData("64/4/2", "8")]
    [InlineData("2*3%4", "2")]
    [InlineData("100/10*2", "20")]
    [InlineData("2*-3", "-6")]
    [InlineData("--2", "2")]
    [InlineData("+5-+2", "3")]
    [InlineData("1 - -1", "2")]
    public async Task Operators_follow_precedence_and_associativity(string expression, string expected) =>
        Assert.Equal(expected, await EvaluateAsync(expression));

    [Theory]
    [InlineData("sqrt(16)", "4")]
    [InlineData("sqrt(2)", "1.4142135623731")]
    [InlineData("abs(-3.5)", "3.5")]
    [InlineData("abs(4)", "4")]
    [InlineData("round(2.5)", "3")]
    [InlineData("round(-2.5)", "-3")]
    [InlineData("round(3.14159, 2)", "3.14")]
    [InlineData("round(2.675, 0)", "3")]
    [InlineData("round(1234.5678, 3)", "1234.568")]
    [InlineData("min(4, 2, 8, -1, 3)", "-1")]
    [InlineData("max(4, 2, 8, -1, 3)", "8")]
    [InlineData("min(7)", "7")]
    [InlineData("max(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20)", "20")]
    [InlineData("pow(2, 10)", "1024")]
    [InlineData("pow(9, 0.5)", "3")]
    [InlineData("floor(2.7)", "2")]
    [InlineData("floor(-2.5)", "-3")]
    [InlineData("ceil(2.1)", "3")]
    [InlineData("ceil(-2.9)", "-2")]
    [InlineData("ln(e)", "1")]
    [InlineData("ln(1)", "0")]
    [InlineData("log10(1000)", "3")]
    [InlineData("exp(0)", "1")]
    [InlineData("sin(0)", "0")]
    [InlineData("cos(0)", "1")]
    [InlineData("sin(pi/2)", "1")]
    [InlineData("cos(pi)", "-1")]
    [InlineData("tan(0)", "0")]
    [InlineData("SQRT(9) + Max(1, 2)", "5")]
    [InlineData("sqrt(abs(-16)) * max(1, min(3, 2))", "8")]
    [InlineData("2 ^ sqrt(4) ^ 2", "16")]
    public async Task Functions_compute_what_their_names_say(string expression, string expected) =>
        Assert.Equal(expected, await EvaluateAsync(expression));

    [Theory]
    [InlineData("pi", "3.14159265358979")]
    [InlineData("e", "2.71828182845905")]
    [InlineData("PI * 2", "6.28318530717959")]
    [InlineData("2 * e", "5.43656365691809")]
    public async Task Pi_and_e_are_constants(string expression, string expected) =>
        Assert.Equal(expected, await EvaluateAsync(expression));

    [Theory]
    [InlineData("1.5e3", "1500")]
    [InlineData("1.5E3", "1500")]
    [InlineData("2e-2", "0.02")]
    [InlineData("1e+2", "100")]
    [InlineData("2.5e1 * 2", "50")]
    [InlineData(".5 + .25", "0.75")]
    [InlineData("3.", "3")]
    [InlineData("  ( 1 +\t2 ) *\n3  ", "9")]
    [InlineData("sqrt ( 16 )", "4")]
    [InlineData("max( 1 , 2 )", "2")]
    public async Task Numbers_may_be_scientific_and_whitespace_is_ignored(string expression, string expected) =>
        Assert.Equal(expected, await EvaluateAsync(expression));

    [Theory]
    [InlineData("10^14", "100000000000000")]
    [InlineData("2^40", "1099511627776")]
    [InlineData("999999999999999", "999999999999999")]
    [InlineData("-2^40", "-1099511627776")]
    [InlineData("1e14 + 1", "100000000000001")]
    [InlineData("4/2", "2")]
    [InlineData("0.1 + 0.2", "0.3")]
    [InlineData("1/3", "0.333333333333333")]
    public async Task Results_are_written_without_an_exponent_for_integers(string expression, string expected)
    {
        var output = await EvaluateAsync(expression);
        Assert.Equal(expected, output);
        Assert.DoesNotContain("E", output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("0 * -1")]
    [InlineData("-0")]
    [InlineData("(2 - 5) * 0")]
    [InlineData("round(-0.4)")]
    public async Task A_zero_result_is_written_0_not_minus_0(string expression) =>
        Assert.Equal("0", await EvaluateAsync(expression));

    [Theory]
    [InlineData("2+", "ends too early", 3)]
    [InlineData("2**3", "Unexpected '*'", 3)]
    [InlineData("2 + * 3", "Unexpected '*'", 5)]
    [InlineData("foo(1)", "Unknown function 'foo'", 1)]
    [InlineData("1 + bar(2)", "Unknown function 'bar'", 5)]
    [InlineData("sqrt(1,2)", "Function 'sqrt' takes 1 argument(s)", 1)]
    [InlineData("pow(2)", "Function 'pow' takes 2 argument(s)", 1)]
    [InlineData("round(1, 2, 3)", "Function 'round' takes 1 to 2 argument(s)", 1)]
    [InlineData("min()", "Function 'min' takes 1 to 100 argument(s)", 1)]
    [InlineData("round(1, 16)", "round() takes 0 to 15 digits", 1)]
    [InlineData("round(1, 1.5)", "round() takes 0 to 15 digits", 1)]
    [InlineData("(1+2", "Expected ')'", 5)]
    [InlineData("((1+2)*3", "Expected ')'", 9)]
    [InlineData("1+2)", "Unexpected ')'", 4)]
    [InlineData("(1+2))*3", "Unexpected ')'", 6)]
    [InlineData("()", "Unexpected ')'", 2)]
    [InlineData("max(1,2", "Expected ')' or ','", 8)]
    [InlineData("1..2", "'1..2' is not a number", 1)]
    [InlineData("2 3", "Unexpected '3'", 3)]
    [InlineData("2e", "Unexpected 'e'", 2)]
    [InlineData("x + 1", "Unknown name 'x'", 1)]
    [InlineData("System.IO.File", "Unknown name 'system'", 1)]
    [InlineData("System.IO.File.ReadAllText(\"/etc/passwd\")", "Unknown name 'system'", 1)]
    [InlineData("__import__('os')", "Unexpected '_'", 1)]
    [InlineData("1; rm -rf /", "Unexpected ';'", 2)]
    [InlineData("eval(1)", "Unknown function 'eval'", 1)]
    [InlineData("1 == 1", "Unexpected '='", 3)]
    public async Task A_malformed_expression_is_an_error_that_says_what_and_where(string expression, string what, int position)
    {
        var result = await InvokeAsync(expression);
        Assert.True(result.IsError);
        Assert.Equal("math.invalid_expression", result.ErrorCode);
        Assert.Contains(what, result.Output, StringComparison.Ordinal);
        Assert.EndsWith($" at position {position}.", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1/0")]
    [InlineData("-1/0")]
    [InlineData("0/0")]
    [InlineData("1 % 0")]
    [InlineData("10^400")]
    [InlineData("exp(1000)")]
    [InlineData("ln(0)")]
    [InlineData("sqrt(-1)")]
    public async Task A_result_that_is_not_a_finite_number_is_an_error(string expression)
    {
        var result = await InvokeAsync(expression);
        Assert.True(result.IsError);
        Assert.Equal("math.invalid_expression", result.ErrorCode);
        Assert.Contains("not a finite number", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nesting_is_limited_so_a_deep_expression_cannot_exhaust_the_stack()
    {
        Assert.Equal("1", await EvaluateAsync(new string('(', 63) + "1" + new string(')', 63)));
        Assert.Equal("-1", await EvaluateAsync(new string('-', 63) + "1"));

        foreach (var deep in new[]
        {
            new string('(', 65) + "1" + new string(')', 65),
            new string('(', 200) + "1" + new string(')', 200),
            new string('(', 999) + "1",
            new string('-', 65) + "1",
            string.Join("^", Enumerable.Repeat("1", 100)),
            string.Concat(Enumerable.Repeat("sqrt(", 70)) + "1" + new string(')', 70),
        })
        {
            var result = await InvokeAsync(deep);
            Assert.True(result.IsError, deep);
            Assert.Equal("math.invalid_expression", result.ErrorCode);
            Assert.Contains("nests deeper than 64 levels at position", result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_expression_over_1000_characters_is_refused_and_1000_is_accepted()
    {
        var longest = string.Concat(Enumerable.Repeat("1+", 499)) + "11";
        Assert.Equal(MathEvaluateTool.MaxLength, longest.Length);
        Assert.Equal("510", await EvaluateAsync(longest));

        var tooLong = longest + "1";
        var result = await InvokeAsync(tooLong);
        Assert.True(result.IsError);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
        Assert.Contains("1 to 1000 characters", result.Output, StringComparison.Ordinal);

        // Length is checked before parsing: a long run of spaces is refused too, not trimmed into something short.
        var padded = await InvokeAsync("1" + new string(' ', 1000));
        Assert.Equal("tool.invalid_arguments", padded.ErrorCode);
    }

    [Theory]
    [InlineData("[\"2+2\"]")]
    [InlineData("\"2+2\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("{\"expression\":null}")]
    [InlineData("{\"expression\":4}")]
    [InlineData("{\"expression\":[\"2+2\"]}")]
    [InlineData("{\"expression\":{\"value\":\"2+2\"}}")]
    [InlineData("{\"expression\":\"\"}")]
    [InlineData("{\"expression\":\"   \"}")]
    [InlineData("{\"expr\":\"2+2\"}")]
    public async Task Arguments_that_are_not_an_object_with_an_expression_string_are_invalid(string arguments)
    {
        var result = await ToolCalls.InvokeAsync(_tool, arguments);
        Assert.True(result.IsError);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
    }

    [Fact]
    public async Task Undefined_arguments_are_invalid_not_an_exception()
    {
        var result = await _tool.InvokeAsync(default, ToolCalls.Context(), CancellationToken.None);
        Assert.Equal("tool.invalid_arguments", result.ErrorCode);
    }

    [Fact]
    public void The_schema_is_an_object_that_requires_the_expression()
    {
        Assert.Equal("math.evaluate", _tool.Name);
        Assert.False(string.IsNullOrWhiteSpace(_tool.Description));
        var schema = _tool.ParametersSchema;
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["expression"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(MathEvaluateTool.MaxLength, schema.GetProperty("properties").GetProperty("expression").GetProperty("maxLength").GetInt32());
    }

    /// <summary>
    /// 500 random expressions of integers, + - * (binary and unary minus) and parentheses: the tool's value equals
    /// the value of the same tree computed here with checked integer arithmetic. Each tree is printed with the fewest
    /// parentheses its shape needs plus random extra ones and random spaces, so precedence and associativity are what
    /// decide the value. The seed is fixed: a failure names the expression and reproduces.
    /// </summary>
    [Fact]
    public async Task Random_integer_expressions_equal_an_independent_evaluation_of_the_same_tree()
    {
        var random = new Random(20261125);
        for (var i = 0; i < 500; i++)
        {
            var tree = Generate(random, leaves: random.Next(1, 9));
            var text = Print(tree, random);
            var expected = tree.Value();

            Assert.True(MathEvaluateTool.TryEvaluate(text, out var value, out var error), $"{text}: {error}");
            Assert.True(expected == value, $"{text}: expected {expected}, got {value}");

            var output = await EvaluateAsync(text);
            Assert.Matches(IntegerText(), output);
            Assert.True(expected == long.Parse(output, CultureInfo.InvariantCulture), $"{text}: expected {expected}, got {output}");
        }
    }

    private static Node Generate(Random random, int leaves)
    {
        Node node;
        if (leaves == 1)
        {
            // 0..50 keeps 8 factors under 2^53, so every double on the way is exact.
            node = new Leaf(random.Next(0, 51));
        }
        else
        {
            var left = random.Next(1, leaves);
            node = new Binary("+-*"[random.Next(3)], Generate(random, left), Generate(random, leaves - left));
        }

        return random.Next(8) == 0 ? new Negate(node) : node;
    }

    private static string Print(Node node, Random random)
    {
        var text = node switch
        {
            Leaf leaf => leaf.Number.ToString(CultureInfo.InvariantCulture),
            Negate negate => "-" + Spaces(random) + Operand(negate.Operand, negate.Operand.Precedence < negate.Precedence, random),
            Binary binary => Operand(binary.Left, binary.Left.Precedence < binary.Precedence, random)
                + Spaces(random) + binary.Operator + Spaces(random)
                + Operand(binary.Right, binary.Right.Precedence < binary.Precedence || (binary.Operator == '-' && binary.Right.Precedence == binary.Precedence), random),
            _ => throw new InvalidOperationException(),
        };
        return text;
    }

    private static string Operand(Node node, bool needsParentheses, Random random)
    {
        var text = Print(node, random);
        return needsParentheses || random.Next(5) == 0 ? "(" + Spaces(random) + text + Spaces(random) + ")" : text;
    }

    private static string Spaces(Random random) => new(' ', random.Next(3) == 0 ? random.Next(1, 3) : 0);

    private async Task<ToolResult> InvokeAsync(string expression) =>
        await ToolCalls.InvokeAsync(_tool, JsonSerializer.Serialize(new { expression }));

    private async Task<string> EvaluateAsync(string expression)
    {
        var result = await InvokeAsync(expression);
        Assert.False(result.IsError, $"{expression}: {result.ErrorCode} {result.Output}");
        return result.Output;
    }

    [GeneratedRegex(@"^-?[0-9]+$")]
    private static partial Regex IntegerText();

    private abstract record Node(int Precedence)
    {
        public abstract long Value();
    }

    private sealed record Leaf(long Number) : Node(4)
    {
        public override long Value() => Number;
    }

    // Unary minus binds tighter than * in the tool (-a*b is (-a)*b), looser than ^.
    private sealed record Negate(Node Operand) : Node(3)
    {
        public override long Value() => checked(-Operand.Value());
    }

    private sealed record Binary(char Operator, Node Left, Node Right) : Node(Operator == '*' ? 2 : 1)
    {
        public override long Value() => Operator switch
        {
            '+' => checked(Left.Value() + Right.Value()),
            '-' => checked(Left.Value() - Right.Value()),
            _ => checked(Left.Value() * Right.Value()),
        };
    }
}
