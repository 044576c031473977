using System.Globalization;
using System.Text;

namespace Soma.Policy.Rego.Syntax;

/// <summary>Splits Rego source into tokens; comments run from <c>#</c> to the end of the line.</summary>
internal sealed class Lexer
{
    private readonly string _text;
    private readonly string _file;
    private int _position;
    private int _line = 1;
    private int _lineStart;

    private Lexer(string file, string text)
    {
        _file = file;
        _text = text;
    }

    public static List<Token> Tokenize(string file, string text) => new Lexer(file, text).Run();

    private List<Token> Run()
    {
        var tokens = new List<Token>();
        while (true)
        {
            var (space, newline) = SkipTrivia();
            var line = _line;
            var column = _position - _lineStart + 1;
            if (_position >= _text.Length)
            {
                tokens.Add(new Token(TokenKind.EndOfFile, string.Empty, line, column, space, newline));
                return tokens;
            }

            var (kind, value) = Next(line, column);
            tokens.Add(new Token(kind, value, line, column, space, newline));
        }
    }

    private (bool Space, bool Newline) SkipTrivia()
    {
        var space = false;
        var newline = false;
        while (_position < _text.Length)
        {
            var c = _text[_position];
            if (c == '\n')
            {
                newline = true;
                space = true;
                _position++;
                _line++;
                _lineStart = _position;
            }
            else if (c is ' ' or '\t' or '\r')
            {
                space = true;
                _position++;
            }
            else if (c == '#')
            {
                while (_position < _text.Length && _text[_position] != '\n')
                {
                    _position++;
                }
            }
            else
            {
                break;
            }
        }

        return (space, newline);
    }

    private RegoException Error(string message, int line, int column) => new(message, new SourceLocation(_file, line, column));

    private char Peek(int offset = 0) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

    private (TokenKind, string) Next(int line, int column)
    {
        var c = _text[_position];
        if (char.IsAsciiLetter(c) || c == '_')
        {
            var start = _position;
            while (_position < _text.Length && (char.IsAsciiLetterOrDigit(_text[_position]) || _text[_position] == '_'))
            {
                _position++;
            }

            return (TokenKind.Identifier, _text[start.._position]);
        }

        if (char.IsAsciiDigit(c))
        {
            return (TokenKind.Number, ReadNumber(line, column));
        }

        if (c == '"')
        {
            return (TokenKind.String, ReadString(line, column));
        }

        if (c == '`')
        {
            var end = _text.IndexOf('`', _position + 1);
            if (end < 0)
            {
                throw Error("unterminated raw string", line, column);
            }

            var raw = _text[(_position + 1)..end];
            foreach (var ch in raw)
            {
                if (ch == '\n')
                {
                    _line++;
                }
            }

            var lastNewline = raw.LastIndexOf('\n');
            _position = end + 1;
            if (lastNewline >= 0)
            {
                _lineStart = _position - (raw.Length - lastNewline);
            }

            return (TokenKind.String, raw);
        }

        _position++;
        switch (c)
        {
            case '.': return (TokenKind.Dot, ".");
            case ',': return (TokenKind.Comma, ",");
            case ';': return (TokenKind.Semicolon, ";");
            case '(': return (TokenKind.LeftParen, "(");
            case ')': return (TokenKind.RightParen, ")");
            case '[': return (TokenKind.LeftBracket, "[");
            case ']': return (TokenKind.RightBracket, "]");
            case '{': return (TokenKind.LeftBrace, "{");
            case '}': return (TokenKind.RightBrace, "}");
            case '|': return (TokenKind.Pipe, "|");
            case '&': return (TokenKind.Ampersand, "&");
            case '+': return (TokenKind.Plus, "+");
            case '-': return (TokenKind.Minus, "-");
            case '*': return (TokenKind.Star, "*");
            case '/': return (TokenKind.Slash, "/");
            case '%': return (TokenKind.Percent, "%");
            case ':':
                if (Peek() == '=')
                {
                    _position++;
                    return (TokenKind.Assign, ":=");
                }

                return (TokenKind.Colon, ":");
            case '=':
                if (Peek() == '=')
                {
                    _position++;
                    return (TokenKind.Equal, "==");
                }

                return (TokenKind.Unify, "=");
            case '!':
                if (Peek() == '=')
                {
                    _position++;
                    return (TokenKind.NotEqual, "!=");
                }

                break;
            case '<':
                if (Peek() == '=')
                {
                    _position++;
                    return (TokenKind.LessOrEqual, "<=");
                }

                return (TokenKind.Less, "<");
            case '>':
                if (Peek() == '=')
                {
                    _position++;
                    return (TokenKind.GreaterOrEqual, ">=");
                }

                return (TokenKind.Greater, ">");
            default:
                break;
        }

        throw Error($"unexpected character '{c}'", line, column);
    }

    private string ReadNumber(int line, int column)
    {
        var start = _position;
        while (char.IsAsciiDigit(Peek()))
        {
            _position++;
        }

        if (Peek() == '.' && char.IsAsciiDigit(Peek(1)))
        {
            _position++;
            while (char.IsAsciiDigit(Peek()))
            {
                _position++;
            }
        }

        if (Peek() is 'e' or 'E')
        {
            var save = _position;
            _position++;
            if (Peek() is '+' or '-')
            {
                _position++;
            }

            if (!char.IsAsciiDigit(Peek()))
            {
                _position = save;
            }
            else
            {
                while (char.IsAsciiDigit(Peek()))
                {
                    _position++;
                }
            }
        }

        if (char.IsAsciiLetter(Peek()) || Peek() == '_')
        {
            throw Error("invalid number", line, column);
        }

        return _text[start.._position];
    }

    private string ReadString(int line, int column)
    {
        var text = new StringBuilder();
        _position++;
        while (true)
        {
            if (_position >= _text.Length || _text[_position] == '\n')
            {
                throw Error("unterminated string", line, column);
            }

            var c = _text[_position++];
            if (c == '"')
            {
                return text.ToString();
            }

            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            var escape = Peek();
            _position++;
            switch (escape)
            {
                case '"': text.Append('"'); break;
                case '\\': text.Append('\\'); break;
                case '/': text.Append('/'); break;
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'u':
                    if (_position + 4 > _text.Length || !int.TryParse(_text.AsSpan(_position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                    {
                        throw Error("invalid unicode escape in string", line, column);
                    }

                    text.Append((char)code);
                    _position += 4;
                    break;
                default:
                    throw Error($"invalid escape sequence '\\{escape}' in string", line, column);
            }
        }
    }
}
