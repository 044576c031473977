using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Syntax;

internal sealed partial class Parser
{
    private Term ParseMembership(bool allowKeyValue)
    {
        var start = Current;
        var term = ParseMembershipOnly(allowKeyValue);
        while (IsKeyword("or"))
        {
            Advance();
            term = new BinaryTerm(At(start), BinaryOperator.OrElse, term, ParseMembershipOnly(allowKeyValue));
        }

        return term;
    }

    private Term ParseMembershipOnly(bool allowKeyValue)
    {
        var start = Current;
        var term = ParseRelation();
        if (allowKeyValue && Is(TokenKind.Comma))
        {
            Advance();
            var value = ParseRelation();
            if (!IsKeyword("in"))
            {
                throw Error("expecting `in` after `key, value`");
            }

            Advance();
            term = new MembershipTerm(At(start), term, value, ParseRelation());
        }

        while (IsKeyword("in"))
        {
            Advance();
            term = new MembershipTerm(At(start), null, term, ParseRelation());
        }

        return term;
    }

    private Term ParseRelation()
    {
        var start = Current;
        var left = ParseUnion();
        while (true)
        {
            BinaryOperator? op = Current.Kind switch
            {
                TokenKind.Equal => BinaryOperator.Equal,
                TokenKind.NotEqual => BinaryOperator.NotEqual,
                TokenKind.Less => BinaryOperator.Less,
                TokenKind.Greater => BinaryOperator.Greater,
                TokenKind.LessOrEqual => BinaryOperator.LessOrEqual,
                TokenKind.GreaterOrEqual => BinaryOperator.GreaterOrEqual,
                _ => null,
            };
            if (op is null)
            {
                return left;
            }

            Advance();
            left = new BinaryTerm(At(start), op.Value, left, ParseUnion());
        }
    }

    private Term ParseUnion()
    {
        var start = Current;
        var left = ParseIntersection();
        while (Is(TokenKind.Pipe))
        {
            Advance();
            left = new BinaryTerm(At(start), BinaryOperator.Union, left, ParseIntersection());
        }

        return left;
    }

    private Term ParseIntersection()
    {
        var start = Current;
        var left = ParseArithmetic();
        while (Is(TokenKind.Ampersand))
        {
            Advance();
            left = new BinaryTerm(At(start), BinaryOperator.Intersection, left, ParseArithmetic());
        }

        return left;
    }

    private Term ParseArithmetic()
    {
        var start = Current;
        var left = ParseFactor();
        // A minus starting a new line begins a new expression (a negative number), not a subtraction.
        while (Is(TokenKind.Plus) || (Is(TokenKind.Minus) && !Current.NewlineBefore))
        {
            var op = Advance().Kind == TokenKind.Plus ? BinaryOperator.Plus : BinaryOperator.Minus;
            left = new BinaryTerm(At(start), op, left, ParseFactor());
        }

        return left;
    }

    private Term ParseFactor()
    {
        var start = Current;
        var left = ParseUnary();
        while (Is(TokenKind.Star) || Is(TokenKind.Slash) || Is(TokenKind.Percent))
        {
            var op = Advance().Kind switch
            {
                TokenKind.Star => BinaryOperator.Multiply,
                TokenKind.Slash => BinaryOperator.Divide,
                _ => BinaryOperator.Remainder,
            };
            left = new BinaryTerm(At(start), op, left, ParseUnary());
        }

        return left;
    }

    private Term ParseUnary()
    {
        if (!Is(TokenKind.Minus))
        {
            return ParseTerm();
        }

        var minus = Advance();
        if (!Is(TokenKind.Number))
        {
            throw Error("unary - can only be used with numeric literals", minus);
        }

        var number = Advance();
        var value = ParseNumber(number);
        return ParsePostfix(new ScalarTerm(At(minus), -value));
    }

    private NumberValue ParseNumber(Token token) =>
        NumberValue.TryParse(token.Text, out var value) ? value : throw Error($"invalid number `{token.Text}`", token);

    /// <summary>A primary term with its reference and call suffixes.</summary>
    private Term ParseTerm() => ParsePostfix(ParsePrimary());

    private Term ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
                Advance();
                return new ScalarTerm(At(token), ParseNumber(token));
            case TokenKind.String:
                Advance();
                return new ScalarTerm(At(token), Value.String(token.Text));
            case TokenKind.LeftParen:
                {
                    Advance();
                    var inner = ParseMembership(allowKeyValue: true);
                    Expect(TokenKind.RightParen, ")");
                    return inner;
                }

            case TokenKind.LeftBracket:
                return ParseArray();
            case TokenKind.LeftBrace:
                return ParseBrace();
            case TokenKind.Identifier:
                Advance();
                switch (token.Text)
                {
                    case "true": return new ScalarTerm(At(token), Value.True);
                    case "false": return new ScalarTerm(At(token), Value.False);
                    case "null": return new ScalarTerm(At(token), Value.Null);
                    case "set" when Is(TokenKind.LeftParen) && !Current.SpaceBefore && PeekToken().Kind == TokenKind.RightParen:
                        Advance();
                        Advance();
                        return new SetTerm(At(token), []);
                    case "in" or "if" or "else" or "with" or "as" or "package" or "import" or "default" or "not" or "some" or "every":
                        throw Error($"unexpected keyword `{token.Text}`", token);
                    default:
                        return new VarTerm(At(token), token.Text);
                }

            default:
                throw Error($"unexpected {Describe(token)}");
        }
    }

    private Term ParsePostfix(Term term)
    {
        var parts = new List<RefPart>();
        while (true)
        {
            if (Is(TokenKind.Dot) && !Current.SpaceBefore)
            {
                var dot = Advance();
                if (Current.SpaceBefore)
                {
                    throw Error("invalid whitespace between . and identifier", dot);
                }

                var field = Current;
                parts.Add(new RefPart(new ScalarTerm(At(field), Value.String(ExpectName())), true));
            }
            else if (Is(TokenKind.LeftBracket) && !Current.SpaceBefore)
            {
                Advance();
                parts.Add(new RefPart(ParseMembership(allowKeyValue: false), false));
                Expect(TokenKind.RightBracket, "]");
            }
            else if (Is(TokenKind.LeftParen) && !Current.SpaceBefore && IsCallable(term, parts))
            {
                var callee = parts.Count == 0 ? term : new RefTerm(term.Location, term, parts);
                Advance();
                var arguments = new List<Term>();
                while (!Is(TokenKind.RightParen))
                {
                    arguments.Add(ParseMembership(allowKeyValue: false));
                    if (!Is(TokenKind.Comma))
                    {
                        break;
                    }

                    Advance();
                }

                Expect(TokenKind.RightParen, ")");
                term = new CallTerm(term.Location, callee, arguments);
                parts = [];
            }
            else
            {
                return parts.Count == 0 ? term : new RefTerm(term.Location, term, parts);
            }
        }
    }

    private static bool IsCallable(Term term, List<RefPart> parts) =>
        term is VarTerm && parts.TrueForAll(p => p.IsDot || p.Key is ScalarTerm { Value: StringValue });

    private Term ParseArray()
    {
        var open = Advance();
        if (Is(TokenKind.RightBracket))
        {
            Advance();
            return new ArrayTerm(At(open), []);
        }

        var mark = _index;
        var comprehension = TryComprehension(open, ComprehensionKind.Array, TokenKind.RightBracket);
        if (comprehension is not null)
        {
            return comprehension;
        }

        _index = mark;
        var items = ParseItems(TokenKind.RightBracket, "]");
        return new ArrayTerm(At(open), items);
    }

    private List<Term> ParseItems(TokenKind close, string closeText)
    {
        var items = new List<Term>();
        while (!Is(close))
        {
            items.Add(ParseMembership(allowKeyValue: false));
            if (!Is(TokenKind.Comma))
            {
                break;
            }

            Advance();
        }

        Expect(close, closeText);
        return items;
    }

    // "[x | body]" is a comprehension only when a plain term precedes "|" and a body then closes the bracket;
    // otherwise "|" is set union inside an array, as in OPA.
    private ComprehensionTerm? TryComprehension(Token open, ComprehensionKind kind, TokenKind close)
    {
        var mark = _index;
        try
        {
            Term? key = null;
            var head = ParseUnary();
            if (kind == ComprehensionKind.Object)
            {
                if (!Is(TokenKind.Colon))
                {
                    _index = mark;
                    return null;
                }

                Advance();
                key = head;
                head = ParseUnary();
            }

            if (!Is(TokenKind.Pipe))
            {
                _index = mark;
                return null;
            }

            var bodyStart = Advance();
            var literals = ParseLiterals(close);
            if (!Is(close) || literals.Count == 0)
            {
                _index = mark;
                return null;
            }

            Advance();
            return new ComprehensionTerm(At(open), kind, key, head, new Query(At(bodyStart), literals));
        }
        catch (RegoException)
        {
            _index = mark;
            return null;
        }
    }

    private Term ParseBrace()
    {
        var open = Advance();
        if (Is(TokenKind.RightBrace))
        {
            Advance();
            return new ObjectTerm(At(open), []);
        }

        var mark = _index;
        var comprehension = TryComprehension(open, ComprehensionKind.Object, TokenKind.RightBrace)
            ?? TryComprehension(open, ComprehensionKind.Set, TokenKind.RightBrace);
        if (comprehension is not null)
        {
            return comprehension;
        }

        _index = mark;
        var first = ParseMembership(allowKeyValue: false);
        if (Is(TokenKind.Colon))
        {
            Advance();
            var pairs = new List<(Term, Term)> { (first, ParseMembership(allowKeyValue: false)) };
            while (Is(TokenKind.Comma))
            {
                Advance();
                if (Is(TokenKind.RightBrace))
                {
                    break;
                }

                var key = ParseMembership(allowKeyValue: false);
                Expect(TokenKind.Colon, ":");
                pairs.Add((key, ParseMembership(allowKeyValue: false)));
            }

            Expect(TokenKind.RightBrace, "}");
            return new ObjectTerm(At(open), pairs);
        }

        var items = new List<Term> { first };
        if (Is(TokenKind.Comma))
        {
            Advance();
            items.AddRange(ParseItems(TokenKind.RightBrace, "}"));
        }
        else
        {
            Expect(TokenKind.RightBrace, "}");
        }

        return new SetTerm(At(open), items);
    }
}
