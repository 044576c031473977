namespace Soma.Policy.Rego.Syntax;

internal sealed partial class Parser
{
    private List<Literal> ParseLiterals(TokenKind end)
    {
        var literals = new List<Literal>();
        while (true)
        {
            while (Is(TokenKind.Semicolon))
            {
                Advance();
            }

            if (Is(end) || Is(TokenKind.EndOfFile))
            {
                return literals;
            }

            literals.Add(ParseLiteral());
            if (Is(TokenKind.Semicolon))
            {
                continue;
            }

            if (Is(end) || Is(TokenKind.EndOfFile))
            {
                return literals;
            }

            if (!Current.NewlineBefore)
            {
                throw Error(end == TokenKind.EndOfFile ? "expecting EOF" : $"unexpected {Describe(Current)}: expecting `;` or a new line between expressions");
            }
        }
    }

    private Literal ParseLiteral()
    {
        var start = Current;
        Literal literal;
        if (IsKeyword("some") && IsSomeStart())
        {
            literal = ParseSome();
        }
        else if (IsKeyword("every") && PeekToken().Kind == TokenKind.Identifier && !PeekToken().NewlineBefore)
        {
            literal = ParseEvery();
        }
        else if (IsKeyword("not") && PeekToken().Kind != TokenKind.Dot && !PeekToken().NewlineBefore)
        {
            Advance();
            literal = new ExpressionLiteral(At(start), true, ParseExpression());
        }
        else
        {
            literal = new ExpressionLiteral(At(start), false, ParseExpression());
        }

        while (IsKeyword("with"))
        {
            var with = Advance();
            var target = ParseTerm();
            if (!IsKeyword("as"))
            {
                throw Error("expecting `as`");
            }

            Advance();
            literal.With.Add(new WithModifier(At(with), target, ParseMembership(allowKeyValue: false)));
        }

        return literal;
    }

    private bool IsSomeStart()
    {
        var next = PeekToken();
        return !next.NewlineBefore && next.Kind is TokenKind.Identifier or TokenKind.LeftBracket or TokenKind.LeftBrace or TokenKind.Number or TokenKind.String or TokenKind.LeftParen or TokenKind.Minus;
    }

    private Literal ParseSome()
    {
        var start = Advance();
        var terms = new List<Term> { ParseRelation() };
        while (Is(TokenKind.Comma))
        {
            Advance();
            terms.Add(ParseRelation());
        }

        if (IsKeyword("in"))
        {
            if (terms.Count > 2)
            {
                throw Error("`some … in` takes a value or a key and a value");
            }

            Advance();
            var collection = ParseRelation();
            return terms.Count == 1
                ? new SomeInLiteral(At(start), null, terms[0], collection)
                : new SomeInLiteral(At(start), terms[0], terms[1], collection);
        }

        var vars = new List<VarTerm>();
        foreach (var term in terms)
        {
            if (term is not VarTerm v)
            {
                throw new RegoException("expecting a variable after `some`", term.Location);
            }

            vars.Add(v);
        }

        return new SomeLiteral(At(start), vars);
    }

    private EveryLiteral ParseEvery()
    {
        var start = Advance();
        var first = ExpectVar();
        VarTerm? key = null;
        var value = first;
        if (Is(TokenKind.Comma))
        {
            Advance();
            key = first;
            value = ExpectVar();
        }

        if (!IsKeyword("in"))
        {
            throw Error("expecting `in` after `every` variables");
        }

        Advance();
        var domain = ParseRelation();
        var body = ParseBracedBody();
        return new EveryLiteral(At(start), key, value, domain, body);
    }

    private VarTerm ExpectVar()
    {
        var token = Current;
        return new VarTerm(At(token), ExpectName());
    }

    /// <summary>A statement's expression: a term, a membership, or an assignment/unification of two.</summary>
    private Term ParseExpression()
    {
        var start = Current;
        var left = ParseMembership(allowKeyValue: true);
        if (Is(TokenKind.Assign) || Is(TokenKind.Unify))
        {
            var op = Advance().Kind == TokenKind.Assign ? BinaryOperator.Assign : BinaryOperator.Unify;
            var right = ParseMembership(allowKeyValue: true);
            return new BinaryTerm(At(start), op, left, right);
        }

        return left;
    }
}
