using System.Globalization;
using System.Text.RegularExpressions;
using Soma.Policy.Rego;
using Soma.Policy.Rego.Values;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Soma.Policy.Bundles;

/// <summary>
/// Reads a YAML document as a Rego value (YAML 1.2 core schema: plain <c>true</c>, <c>12</c>, <c>1.5</c>, <c>null</c>
/// are typed, quoted scalars are strings) and remembers where each value starts, so an error about
/// <c>/roles/user/tools/0</c> can name the file's line and column.
/// </summary>
public static partial class YamlData
{
    /// <summary>Parses <paramref name="text"/>; a syntax error is a <see cref="RegoException"/> naming file:line:column.</summary>
    public static (Value Value, IReadOnlyDictionary<string, SourceLocation> Locations) Parse(string file, string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new RegoException($"invalid YAML: {ex.InnerException?.Message ?? ex.Message}", new SourceLocation(file, (int)ex.Start.Line, (int)ex.Start.Column));
        }

        var locations = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        if (stream.Documents.Count == 0)
        {
            return (Value.Null, locations);
        }

        return (Read(stream.Documents[0].RootNode, string.Empty, file, locations), locations);
    }

    private static Value Read(YamlNode node, string pointer, string file, Dictionary<string, SourceLocation> locations)
    {
        locations[pointer] = new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlMappingNode mapping:
                var members = new List<KeyValuePair<Value, Value>>();
                foreach (var (key, value) in mapping.Children)
                {
                    var name = key is YamlScalarNode scalar ? scalar.Value ?? string.Empty : key.ToString();
                    members.Add(new(Value.String(name), Read(value, $"{pointer}/{Escape(name)}", file, locations)));
                }

                return Value.Object(members);
            case YamlSequenceNode sequence:
                return Value.Array(sequence.Children.Select((child, i) => Read(child, $"{pointer}/{i}", file, locations)).ToList());
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new RegoException("YAML aliases are not supported", locations[pointer]);
        }
    }

    private static Value Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style != ScalarStyle.Plain)
        {
            return Value.String(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return Value.Null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return Value.True;
        }

        if (text is "false" or "False" or "FALSE")
        {
            return Value.False;
        }

        if (Number().IsMatch(text) && NumberValue.TryParse(text.TrimStart('+'), out var number))
        {
            return number;
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return Value.Number(hex);
        }

        return Value.String(text);
    }

    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Number();
}
