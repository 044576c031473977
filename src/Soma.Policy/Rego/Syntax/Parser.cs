using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Syntax;

/// <summary>A recursive-descent parser for Rego (v1 syntax, and v0 syntax with or without future keywords).</summary>
internal sealed partial class Parser
{
    private readonly List<Token> _tokens;
    private readonly string _file;
    private int _index;

    public Parser(string file, string text)
    {
        _file = file;
        _tokens = Lexer.Tokenize(file, text);
    }

    private Token Current => _tokens[_index];

    private Token PeekToken(int offset = 1) => _tokens[Math.Min(_index + offset, _tokens.Count - 1)];

    private SourceLocation Here => At(Current);

    private SourceLocation At(Token token) => new(_file, token.Line, token.Column);

    private RegoException Error(string message) => new(message, Here);

    private RegoException Error(string message, Token token) => new(message, At(token));

    private Token Advance() => _tokens[_index++];

    private bool Is(TokenKind kind) => Current.Kind == kind;

    private bool IsKeyword(string keyword) => Current.IsIdentifier(keyword);

    private Token Expect(TokenKind kind, string what)
    {
        if (Current.Kind != kind)
        {
            throw Error($"expecting `{what}`, found {Describe(Current)}");
        }

        return Advance();
    }

    private static string Describe(Token token) => token.Kind switch
    {
        TokenKind.EndOfFile => "end of file",
        TokenKind.String => "string",
        _ => $"`{token.Text}`",
    };

    public Module ParseModule()
    {
        var start = Current;
        if (!IsKeyword("package"))
        {
            throw Error("expecting `package`");
        }

        Advance();
        var package = new List<string> { ExpectName() };
        while (true)
        {
            if (Is(TokenKind.Dot) && !Current.NewlineBefore)
            {
                Advance();
                package.Add(ExpectName());
            }
            else if (Is(TokenKind.LeftBracket) && !Current.SpaceBefore && PeekToken().Kind == TokenKind.String)
            {
                Advance();
                package.Add(Advance().Text);
                Expect(TokenKind.RightBracket, "]");
            }
            else
            {
                break;
            }
        }

        var imports = new List<Import>();
        while (IsKeyword("import"))
        {
            imports.Add(ParseImport());
        }

        var rules = new List<Rule>();
        while (!Is(TokenKind.EndOfFile))
        {
            if (IsKeyword("import"))
            {
                throw Error("imports must appear before rules");
            }

            if (IsKeyword("package"))
            {
                throw Error("unexpected `package`: one package per module");
            }

            rules.Add(ParseRule());
        }

        return new Module(_file, At(start), package, imports, rules);
    }

    public Query ParseQueryToEnd()
    {
        var location = Here;
        var literals = ParseLiterals(TokenKind.EndOfFile);
        if (!Is(TokenKind.EndOfFile))
        {
            throw Error("expecting EOF");
        }

        if (literals.Count == 0)
        {
            throw Error("empty query");
        }

        return new Query(location, literals);
    }

    private string ExpectName()
    {
        if (!Is(TokenKind.Identifier))
        {
            throw Error($"expecting an identifier, found {Describe(Current)}");
        }

        return Advance().Text;
    }

    private Import ParseImport()
    {
        var start = Advance();
        var pathStart = Current;
        var path = ParseTerm();
        var root = path switch
        {
            VarTerm v => v.Name,
            RefTerm { Head: VarTerm v } => v.Name,
            _ => null,
        };
        if (root is not ("data" or "input" or "future" or "rego"))
        {
            throw Error("import path must begin with one of: {data, future, input, rego}", pathStart);
        }

        string? alias = null;
        if (IsKeyword("as") && !Current.NewlineBefore)
        {
            Advance();
            alias = ExpectName();
        }

        return new Import(At(start), path, alias);
    }

    private Rule ParseRule()
    {
        var start = Current;
        var isDefault = false;
        if (IsKeyword("default"))
        {
            isDefault = true;
            Advance();
        }

        var head = ParseRuleHead(isDefault);
        if (isDefault)
        {
            return new Rule(At(start), true, head, null, false, null);
        }

        var (body, usesIf) = ParseRuleBody(allowMissing: true);
        ElseClause? elseClause = null;
        if (IsKeyword("else"))
        {
            elseClause = ParseElse();
        }

        return new Rule(At(start), false, head, body, usesIf, elseClause);
    }

    private ElseClause ParseElse()
    {
        var start = Advance();
        var assign = AssignKind.None;
        Term? value = null;
        if (Is(TokenKind.Unify) || Is(TokenKind.Assign))
        {
            assign = Advance().Kind == TokenKind.Assign ? AssignKind.Assign : AssignKind.Unify;
            value = ParseMembership(allowKeyValue: false);
        }

        var (body, _) = ParseRuleBody(allowMissing: true);
        var next = IsKeyword("else") ? ParseElse() : null;
        return new ElseClause(At(start), assign, value, body, next);
    }

    private (Query? Body, bool UsesIf) ParseRuleBody(bool allowMissing)
    {
        if (IsKeyword("if"))
        {
            Advance();
            if (Is(TokenKind.LeftBrace))
            {
                return (ParseBracedBody(), true);
            }

            var location = Here;
            var literal = ParseLiteral();
            return (new Query(location, [literal]), true);
        }

        if (Is(TokenKind.LeftBrace))
        {
            return (ParseBracedBody(), false);
        }

        if (!allowMissing)
        {
            throw Error("expecting a rule body");
        }

        return (null, false);
    }

    private Query ParseBracedBody()
    {
        var open = Expect(TokenKind.LeftBrace, "{");
        var literals = ParseLiterals(TokenKind.RightBrace);
        Expect(TokenKind.RightBrace, "}");
        return new Query(At(open), literals);
    }

    private RuleHead ParseRuleHead(bool isDefault)
    {
        var start = Current;
        if (!Is(TokenKind.Identifier) || Current.Text is "import" or "package" or "else")
        {
            throw Error($"expecting a rule, found {Describe(Current)}");
        }

        var name = Advance().Text;
        var parts = new List<RefPart>();
        while (true)
        {
            if (Is(TokenKind.Dot))
            {
                Advance();
                var field = Current;
                parts.Add(new RefPart(new ScalarTerm(At(field), Value.String(ExpectName())), true));
            }
            else if (Is(TokenKind.LeftBracket) && !Current.NewlineBefore)
            {
                Advance();
                parts.Add(new RefPart(ParseMembership(allowKeyValue: false), false));
                Expect(TokenKind.RightBracket, "]");
            }
            else
            {
                break;
            }
        }

        List<Term>? parameters = null;
        if (Is(TokenKind.LeftParen) && !Current.NewlineBefore)
        {
            Advance();
            parameters = [];
            while (!Is(TokenKind.RightParen))
            {
                parameters.Add(ParseMembership(allowKeyValue: false));
                if (!Is(TokenKind.Comma))
                {
                    break;
                }

                Advance();
            }

            Expect(TokenKind.RightParen, ")");
        }

        Term? containsKey = null;
        if (!isDefault && IsKeyword("contains") && parameters is null)
        {
            Advance();
            containsKey = ParseMembership(allowKeyValue: false);
        }

        var assign = AssignKind.None;
        Term? value = null;
        if (containsKey is null && (Is(TokenKind.Unify) || Is(TokenKind.Assign)))
        {
            assign = Advance().Kind == TokenKind.Assign ? AssignKind.Assign : AssignKind.Unify;
            value = ParseMembership(allowKeyValue: false);
        }
        else if (isDefault)
        {
            throw Error("expecting `=` or `:=` after a default rule's name");
        }

        return new RuleHead(At(start), name, parts, parameters, containsKey, assign, value);
    }
}
