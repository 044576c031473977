using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Soma.Policy.Rego.Values;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static readonly ISerializer YamlSerializer = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    private static void AddEncoding(List<Builtin> all)
    {
        Add(all, "json.marshal", 1, (_, a) => Str(GoJson(a[0].ToJson())));
        Add(all, "json.marshal_with_options", 2, (_, a) =>
        {
            var options = ArgObject("json.marshal_with_options", a[1]);
            var pretty = options["pretty"] is BooleanValue { Value: true };
            var indent = options["indent"] is StringValue i ? i.Value : null;
            var prefix = options["prefix"] is StringValue p ? p.Value : null;
            if (!pretty && indent is null && prefix is null)
            {
                return Str(GoJson(a[0].ToJson()));
            }

            return Str(IndentJson(a[0], prefix ?? string.Empty, indent ?? "\t"));
        });
        Add(all, "json.unmarshal", 1, (_, a) =>
        {
            try
            {
                return Value.ParseJson(ArgString("json.unmarshal", a[0]));
            }
            catch (JsonException e)
            {
                throw Error("json.unmarshal", e.Message);
            }
        });
        Add(all, "json.is_valid", 1, (_, a) =>
        {
            if (a[0] is not StringValue s)
            {
                return Value.False;
            }

            try
            {
                using var document = JsonDocument.Parse(s.Value);
                return Value.True;
            }
            catch (JsonException)
            {
                return Value.False;
            }
        });
        Add(all, "base64.encode", 1, (_, a) => Str(Convert.ToBase64String(Utf8(ArgString("base64.encode", a[0])))));
        Add(all, "base64.decode", 1, (_, a) => Str(Encoding.UTF8.GetString(
            DecodeBase64(ArgString("base64.decode", a[0]), url: false) ?? throw Error("base64.decode", "illegal base64 data"))));
        Add(all, "base64.is_valid", 1, (_, a) => Value.Bool(DecodeBase64(ArgString("base64.is_valid", a[0]), url: false) is not null));
        Add(all, "base64url.encode", 1, (_, a) => Str(Convert.ToBase64String(Utf8(ArgString("base64url.encode", a[0]))).Replace('+', '-').Replace('/', '_')));
        Add(all, "base64url.encode_no_pad", 1, (_, a) => Str(Convert.ToBase64String(Utf8(ArgString("base64url.encode_no_pad", a[0]))).Replace('+', '-').Replace('/', '_').TrimEnd('=')));
        Add(all, "base64url.decode", 1, (_, a) => Str(Encoding.UTF8.GetString(
            DecodeBase64(ArgString("base64url.decode", a[0]), url: true) ?? throw Error("base64url.decode", "illegal base64 data"))));
        Add(all, "hex.encode", 1, (_, a) => Str(Hex(Utf8(ArgString("hex.encode", a[0])))));
        Add(all, "hex.decode", 1, (_, a) =>
        {
            var text = ArgString("hex.decode", a[0]);
            try
            {
                return Str(Encoding.UTF8.GetString(Convert.FromHexString(text)));
            }
            catch (FormatException)
            {
                throw Error("hex.decode", $"encoding/hex: invalid hex string {GoFormat.Quote(text)}");
            }
        });
        Add(all, "urlquery.encode", 1, (_, a) => Str(QueryEscape(ArgString("urlquery.encode", a[0]))));
        Add(all, "urlquery.decode", 1, (_, a) => Str(QueryUnescape("urlquery.decode", ArgString("urlquery.decode", a[0]))));
        Add(all, "urlquery.encode_object", 1, (_, a) =>
        {
            var text = new StringBuilder();
            foreach (var (key, value) in ArgObject("urlquery.encode_object", a[0]).Members)
            {
                var name = QueryEscape(ArgString("urlquery.encode_object", key));
                IEnumerable<Value> values = value switch
                {
                    StringValue => [value],
                    ArrayValue x => x.Items,
                    SetValue x => x.Items,
                    _ => throw TypeError("urlquery.encode_object", "string, array or set", value),
                };
                foreach (var item in values)
                {
                    text.Append(text.Length == 0 ? string.Empty : "&").Append(name).Append('=').Append(QueryEscape(ArgString("urlquery.encode_object", item)));
                }
            }

            return Str(text.ToString());
        });
        Add(all, "urlquery.decode_object", 1, (_, a) =>
        {
            var result = new SortedDictionary<string, List<Value>>(StringComparer.Ordinal);
            foreach (var pair in ArgString("urlquery.decode_object", a[0]).Split('&'))
            {
                if (pair.Length == 0)
                {
                    continue;
                }

                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var key = QueryUnescape("urlquery.decode_object", eq < 0 ? pair : pair[..eq]);
                var value = eq < 0 ? string.Empty : QueryUnescape("urlquery.decode_object", pair[(eq + 1)..]);
                if (!result.TryGetValue(key, out var list))
                {
                    result[key] = list = [];
                }

                list.Add(Value.String(value));
            }

            var members = new List<KeyValuePair<Value, Value>>(result.Count);
            foreach (var (key, list) in result)
            {
                members.Add(new(Value.String(key), Value.Array(list)));
            }

            return Value.Object(members);
        });
        Add(all, "yaml.marshal", 1, (_, a) => Str(YamlSerializer.Serialize(ToPlain(a[0]))));
        Add(all, "yaml.unmarshal", 1, (_, a) =>
        {
            try
            {
                return ParseYaml(ArgString("yaml.unmarshal", a[0]));
            }
            catch (YamlException e)
            {
                throw Error("yaml.unmarshal", e.Message);
            }
        });
        Add(all, "yaml.is_valid", 1, (_, a) =>
        {
            if (a[0] is not StringValue s)
            {
                return Value.False;
            }

            try
            {
                ParseYaml(s.Value);
                return Value.True;
            }
            catch (YamlException)
            {
                return Value.False;
            }
        });
    }

    /// <summary>Go's encoding/json escapes HTML-significant characters and line/paragraph separators.</summary>
    private static string GoJson(string json)
    {
        if (json.AsSpan().IndexOfAny("<>&\u2028\u2029") < 0)
        {
            return json;
        }

        return json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal).Replace("\u2029", "\\u2029", StringComparison.Ordinal);
    }

    private static string IndentJson(Value value, string prefix, string indent)
    {
        var text = new StringBuilder();
        void Write(Value v, int depth)
        {
            var items = v switch
            {
                ArrayValue x => x.Items.Select(i => (Key: (string?)null, Value: i)).ToList(),
                SetValue x => x.Items.Select(i => (Key: (string?)null, Value: i)).ToList(),
                ObjectValue x => x.Members.Select(m => (Key: (string?)GoJson(m.Key is StringValue s ? s.ToJson() : Value.String(m.Key.ToJson()).ToJson()), m.Value)).ToList(),
                _ => null,
            };
            if (items is null)
            {
                text.Append(GoJson(v.ToJson()));
                return;
            }

            var (open, close) = v is ObjectValue ? ('{', '}') : ('[', ']');
            text.Append(open);
            if (items.Count == 0)
            {
                text.Append(close);
                return;
            }

            for (var i = 0; i < items.Count; i++)
            {
                text.Append('\n').Append(prefix);
                for (var d = 0; d <= depth; d++)
                {
                    text.Append(indent);
                }

                if (items[i].Key is { } key)
                {
                    text.Append(key).Append(": ");
                }

                Write(items[i].Value, depth + 1);
                if (i < items.Count - 1)
                {
                    text.Append(',');
                }
            }

            text.Append('\n').Append(prefix);
            for (var d = 0; d < depth; d++)
            {
                text.Append(indent);
            }

            text.Append(close);
        }

        Write(value, 0);
        return text.ToString();
    }

    private static byte[]? DecodeBase64(string text, bool url)
    {
        if (url)
        {
            text = text.Replace('-', '+').Replace('_', '/');
            if (text.Length % 4 != 0 && !text.Contains('=', StringComparison.Ordinal))
            {
                text = text.PadRight(text.Length + (4 - (text.Length % 4)), '=');
            }
        }

        // Go's decoder is strict: no whitespace, padding required.
        if (text.Length % 4 != 0 || text.AsSpan().IndexOfAny(" \t\r\n") >= 0)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Go's <c>url.QueryEscape</c>.</summary>
    private static string QueryEscape(string text)
    {
        var output = new StringBuilder(text.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                output.Append(c);
            }
            else if (c == ' ')
            {
                output.Append('+');
            }
            else
            {
                output.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return output.ToString();
    }

    /// <summary>Go's <c>url.QueryUnescape</c>.</summary>
    private static string QueryUnescape(string name, string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
                {
                    var bad = text.Substring(i, Math.Min(3, text.Length - i));
                    throw Error(name, $"invalid URL escape {GoFormat.Quote(bad)}");
                }

                bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static object? ToPlain(Value value) => value switch
    {
        NullValue => null,
        BooleanValue b => b.Value,
        NumberValue n when n.TryGetInt64(out var l) => l,
        NumberValue n when n.IsInteger => (decimal)n.Integer,
        NumberValue n => n.AsDouble,
        StringValue s => s.Value,
        ArrayValue a => a.Items.Select(ToPlain).ToList(),
        SetValue s => s.Items.Select(ToPlain).ToList(),
        ObjectValue o => new SortedDictionary<string, object?>(
            o.Members.ToDictionary(m => m.Key is StringValue s ? s.Value : m.Key.ToJson(), m => ToPlain(m.Value), StringComparer.Ordinal), StringComparer.Ordinal),
        _ => null,
    };

    private static Value ParseYaml(string text)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
        {
            stream.Load(reader);
        }

        return stream.Documents.Count == 0 ? Value.Null : FromYaml(stream.Documents[0].RootNode);
    }

    private static Value FromYaml(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                {
                    var members = new List<KeyValuePair<Value, Value>>();
                    foreach (var (key, value) in map.Children)
                    {
                        var k = FromYaml(key);
                        members.Add(new(k is StringValue ? k : Value.String(k.ToJson()), FromYaml(value)));
                    }

                    return Value.Object(members);
                }

            case YamlSequenceNode seq:
                return Value.Array(seq.Children.Select(FromYaml));
            case YamlScalarNode scalar:
                var s = scalar.Value ?? string.Empty;
                if (scalar.Style is not ScalarStyle.Plain)
                {
                    return Value.String(s);
                }

                switch (s)
                {
                    case "" or "~" or "null" or "Null" or "NULL":
                        return Value.Null;
                    case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                        return Value.True;
                    case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                        return Value.False;
                }

                if (s.StartsWith("0x", StringComparison.Ordinal) && BigInteger.TryParse("0" + s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
                {
                    return Value.Number(hex);
                }

                return (char.IsAsciiDigit(s[0]) || s[0] is '-' or '+' or '.') && NumberValue.TryParse(s.TrimStart('+'), out var number) ? number : Value.String(s);
            default:
                throw new YamlException("unsupported YAML node (aliases are not supported)");
        }
    }
}
