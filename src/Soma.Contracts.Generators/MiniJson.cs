using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Soma.Contracts.Generators;

/// <summary>A JSON object with its members in file order (the generator cannot take System.Text.Json into the compiler).</summary>
internal sealed class JsonObject(List<KeyValuePair<string, object?>> members)
{
    public List<KeyValuePair<string, object?>> Members { get; } = members;

    public bool TryGet(string name, out object? value)
    {
        foreach (var member in Members)
        {
            if (member.Key == name)
            {
                value = member.Value;
                return true;
            }
        }

        value = null;
        return false;
    }
}

/// <summary>A JSON number as written, so a bound is compared exactly rather than through a double.</summary>
internal sealed record JsonNumber(string Text);

/// <summary>
/// Just enough JSON reading for a schema file: objects (<see cref="JsonObject"/>), arrays (<see cref="List{T}"/>),
/// strings, <see cref="JsonNumber"/>, booleans and null.
/// </summary>
internal sealed class MiniJson
{
    private readonly string _text;
    private int _at;

    private MiniJson(string text) => _text = text;

    /// <exception cref="FormatException">The text is not one JSON value.</exception>
    public static object? Parse(string text)
    {
        var reader = new MiniJson(text);
        var value = reader.Value();
        reader.SkipSpace();
        if (reader._at != text.Length)
        {
            throw reader.Error("text after the value");
        }

        return value;
    }

    private object? Value()
    {
        SkipSpace();
        if (_at >= _text.Length)
        {
            throw Error("unexpected end");
        }

        switch (_text[_at])
        {
            case '{': return Object();
            case '[': return Array();
            case '"': return String();
            case 't': return Word("true", true);
            case 'f': return Word("false", false);
            case 'n': return Word("null", null);
            default: return Number();
        }
    }

    private JsonObject Object()
    {
        _at++;
        var members = new List<KeyValuePair<string, object?>>();
        SkipSpace();
        if (Peek() == '}')
        {
            _at++;
            return new JsonObject(members);
        }

        while (true)
        {
            SkipSpace();
            if (Peek() != '"')
            {
                throw Error("a member name");
            }

            var name = String();
            SkipSpace();
            Expect(':');
            members.Add(new KeyValuePair<string, object?>(name, Value()));
            SkipSpace();
            if (Peek() == ',')
            {
                _at++;
                continue;
            }

            Expect('}');
            return new JsonObject(members);
        }
    }

    private List<object?> Array()
    {
        _at++;
        var items = new List<object?>();
        SkipSpace();
        if (Peek() == ']')
        {
            _at++;
            return items;
        }

        while (true)
        {
            items.Add(Value());
            SkipSpace();
            if (Peek() == ',')
            {
                _at++;
                continue;
            }

            Expect(']');
            return items;
        }
    }

    private string String()
    {
        _at++;
        var builder = new StringBuilder();
        while (true)
        {
            if (_at >= _text.Length)
            {
                throw Error("an unterminated string");
            }

            var c = _text[_at++];
            if (c == '"')
            {
                return builder.ToString();
            }

            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            var escape = _at < _text.Length ? _text[_at++] : '\0';
            switch (escape)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case '/': builder.Append('/'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u':
                    if (_at + 4 > _text.Length || !int.TryParse(_text.Substring(_at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                    {
                        throw Error("a \\u escape with four hex digits");
                    }

                    builder.Append((char)code);
                    _at += 4;
                    break;
                default: throw Error("a valid escape");
            }
        }
    }

    private JsonNumber Number()
    {
        var start = _at;
        while (_at < _text.Length && "+-0123456789.eE".IndexOf(_text[_at]) >= 0)
        {
            _at++;
        }

        var text = _text.Substring(start, _at - start);
        if (text.Length == 0 || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            throw Error("a value");
        }

        return new JsonNumber(text);
    }

    private object? Word(string word, object? value)
    {
        if (string.CompareOrdinal(_text, _at, word, 0, word.Length) != 0)
        {
            throw Error("a value");
        }

        _at += word.Length;
        return value;
    }

    private char Peek() => _at < _text.Length ? _text[_at] : '\0';

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw Error("'" + c + "'");
        }

        _at++;
    }

    private void SkipSpace()
    {
        while (_at < _text.Length && _text[_at] is ' ' or '\t' or '\r' or '\n')
        {
            _at++;
        }
    }

    private FormatException Error(string expected) => new("expected " + expected + " at offset " + _at.ToString(CultureInfo.InvariantCulture));
}
