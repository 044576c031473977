using System.Globalization;
using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.BuiltIn;

/// <summary>
/// <c>math.evaluate</c>: evaluates an arithmetic expression with a small parser of its own. Nothing is compiled or
/// executed: only numbers, + - * / % ^, parentheses, a fixed set of functions and the constants pi and e.
/// </summary>
public sealed class MathEvaluateTool : ITool
{
    /// <summary>The longest expression accepted.</summary>
    public const int MaxLength = 1000;

    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{"expression":{"type":"string","minLength":1,"maxLength":1000,"description":"An arithmetic expression, e.g. (2 + 3) * 4 ^ 2 / sqrt(16). Operators + - * / % ^; functions sqrt abs round floor ceil min max pow exp ln log10 sin cos tan; constants pi, e."}},"required":["expression"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public string Name => "math.evaluate";

    /// <inheritdoc />
    public string Description => "Evaluates an arithmetic expression exactly as written and returns the number.";

    /// <inheritdoc />
    public JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        var expression = ToolSchemas.OptionalString(arguments, "expression", out var error);
        if (error is not null)
        {
            return ValueTask.FromResult(error);
        }

        if (string.IsNullOrWhiteSpace(expression) || expression.Length > MaxLength)
        {
            return ValueTask.FromResult(ToolResult.Failed("tool.invalid_arguments", $"Argument 'expression' is required: 1 to {MaxLength} characters."));
        }

        return ValueTask.FromResult(TryEvaluate(expression, out var value, out var problem)
            ? new ToolResult(Format(value))
            : ToolResult.Failed("math.invalid_expression", problem!));
    }

    /// <summary>Evaluates <paramref name="expression"/>; on failure <paramref name="error"/> says what and where.</summary>
    public static bool TryEvaluate(string expression, out double value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var parser = new Parser(expression);
        try
        {
            value = parser.ParseAll();
            if (!double.IsFinite(value))
            {
                error = "The result is not a finite number (division by zero or overflow).";
                return false;
            }

            error = null;
            return true;
        }
        catch (FormatException ex)
        {
            value = 0;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Formats a result the way people write numbers: no exponent for ordinary sizes, up to 15 significant digits.</summary>
    public static string Format(double value)
    {
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            return value.ToString("0", CultureInfo.InvariantCulture);
        }

        return value.ToString("G15", CultureInfo.InvariantCulture);
    }

    private sealed class Parser(string text)
    {
        private const int MaxDepth = 64;
        private int _position;
        private int _depth;

        public double ParseAll()
        {
            var value = ParseSum();
            SkipSpaces();
            return _position < text.Length ? throw Error($"Unexpected '{text[_position]}'") : value;
        }

        private double ParseSum()
        {
            var value = ParseProduct();
            while (true)
            {
                SkipSpaces();
                if (Accept('+'))
                {
                    value += ParseProduct();
                }
                else if (Accept('-'))
                {
                    value -= ParseProduct();
                }
                else
                {
                    return value;
                }
            }
        }

        private double ParseProduct()
        {
            var value = ParseUnary();
            while (true)
            {
                SkipSpaces();
                if (Accept('*'))
                {
                    value *= ParseUnary();
                }
                else if (Accept('/'))
                {
                    value /= ParseUnary();
                }
                else if (Accept('%'))
                {
                    value %= ParseUnary();
                }
                else
                {
                    return value;
                }
            }
        }

        private double ParseUnary()
        {
            Enter();
            try
            {
                SkipSpaces();
                if (Accept('-'))
                {
                    return -ParseUnary();
                }

                if (Accept('+'))
                {
                    return ParseUnary();
                }

                var value = ParsePrimary();
                SkipSpaces();

                // Right-associative: 2 ^ 3 ^ 2 = 2 ^ 9; -2 ^ 2 = -(2 ^ 2).
                return Accept('^') ? Math.Pow(value, ParseUnary()) : value;
            }
            finally
            {
                _depth--;
            }
        }

        private double ParsePrimary()
        {
            SkipSpaces();
            if (_position >= text.Length)
            {
                throw Error("The expression ends too early");
            }

            var c = text[_position];
            if (Accept('('))
            {
                var inner = ParseSum();
                SkipSpaces();
                return Accept(')') ? inner : throw Error("Expected ')'");
            }

            if (char.IsAsciiDigit(c) || c == '.')
            {
                return ParseNumber();
            }

            if (char.IsAsciiLetter(c))
            {
                var start = _position;
                while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] == '_'))
                {
                    _position++;
                }

                var name = text[start.._position].ToLowerInvariant();
                SkipSpaces();
                if (!Accept('('))
                {
                    return name switch
                    {
                        "pi" => Math.PI,
                        "e" => Math.E,
                        _ => throw Error($"Unknown name '{name}'", start),
                    };
                }

                var args = new List<double>();
                SkipSpaces();
                if (!Accept(')'))
                {
                    do
                    {
                        args.Add(ParseSum());
                        SkipSpaces();
                    }
                    while (Accept(','));

                    if (!Accept(')'))
                    {
                        throw Error("Expected ')' or ','");
                    }
                }

                return Call(name, args, start);
            }

            throw Error($"Unexpected '{c}'");
        }

        private double Call(string name, List<double> args, int at)
        {
            (int Min, int Max) arity = name switch
            {
                "min" or "max" => (1, 100),
                "pow" => (2, 2),
                "round" => (1, 2),
                "sqrt" or "abs" or "floor" or "ceil" or "exp" or "ln" or "log10" or "sin" or "cos" or "tan" => (1, 1),
                _ => throw Error($"Unknown function '{name}'", at),
            };
            if (args.Count < arity.Min || args.Count > arity.Max)
            {
                throw Error($"Function '{name}' takes {(arity.Min == arity.Max ? arity.Min.ToString(CultureInfo.InvariantCulture) : $"{arity.Min} to {arity.Max}")} argument(s)", at);
            }

            return name switch
            {
                "min" => args.Min(),
                "max" => args.Max(),
                "pow" => Math.Pow(args[0], args[1]),
                "round" => args.Count == 1 ? Math.Round(args[0], MidpointRounding.AwayFromZero) : Math.Round(args[0], Digits(args[1], at), MidpointRounding.AwayFromZero),
                "sqrt" => Math.Sqrt(args[0]),
                "abs" => Math.Abs(args[0]),
                "floor" => Math.Floor(args[0]),
                "ceil" => Math.Ceiling(args[0]),
                "exp" => Math.Exp(args[0]),
                "ln" => Math.Log(args[0]),
                "log10" => Math.Log10(args[0]),
                "sin" => Math.Sin(args[0]),
                "cos" => Math.Cos(args[0]),
                _ => Math.Tan(args[0]),
            };
        }

        private int Digits(double value, int at) =>
            value is >= 0 and <= 15 && value == Math.Floor(value) ? (int)value : throw Error("round() takes 0 to 15 digits", at);

        private double ParseNumber()
        {
            var start = _position;
            while (_position < text.Length && (char.IsAsciiDigit(text[_position]) || text[_position] == '.'))
            {
                _position++;
            }

            if (_position < text.Length && text[_position] is 'e' or 'E' && _position + 1 < text.Length
                && (char.IsAsciiDigit(text[_position + 1]) || (text[_position + 1] is '+' or '-' && _position + 2 < text.Length && char.IsAsciiDigit(text[_position + 2]))))
            {
                _position += 2;
                while (_position < text.Length && char.IsAsciiDigit(text[_position]))
                {
                    _position++;
                }
            }

            return double.TryParse(text.AsSpan(start, _position - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw Error($"'{text[start.._position]}' is not a number", start);
        }

        private void Enter()
        {
            if (++_depth > MaxDepth)
            {
                throw Error($"The expression nests deeper than {MaxDepth} levels");
            }
        }

        private bool Accept(char c)
        {
            if (_position < text.Length && text[_position] == c)
            {
                _position++;
                return true;
            }

            return false;
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        private FormatException Error(string message, int? at = null) =>
            new($"{message} at position {(at ?? _position) + 1}.");
    }
}
