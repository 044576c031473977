using System.Globalization;
using Soma.Policy.Rego.Values;
using YamlDotNet.RepresentationModel;

namespace Soma.Policy.Tests.Rego.Conformance;

/// <summary>
/// Reads the Regorus-derived corpus from <c>&lt;repo&gt;/../shared/conformance/rego/cases</c> (never copied into the
/// repository). YAML values become Rego values: plain scalars by YAML's core schema (null, booleans, numbers kept exact),
/// quoted scalars as strings; <c>set!: […]</c> is a set, <c>object!: [{key, value}]</c> an object with any keys,
/// <c>many!: […]</c> several inputs or several results.
/// </summary>
public static class ConformanceCorpus
{
    private static readonly Lazy<IReadOnlyList<ConformanceCase>> Cases = new(Load);

    public static IReadOnlyList<ConformanceCase> All => Cases.Value;

    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SomaAgent.slnx")))
                {
                    var corpus = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "conformance", "rego"));
                    return System.IO.Directory.Exists(corpus)
                        ? corpus
                        : throw new DirectoryNotFoundException($"The Rego conformance corpus is missing: expected {corpus} beside the repository.");
                }
            }

            throw new DirectoryNotFoundException("The repository root (SomaAgent.slnx) was not found above " + AppContext.BaseDirectory);
        }
    }

    private static List<ConformanceCase> Load()
    {
        var root = Path.Combine(Directory, "cases");
        var cases = new List<ConformanceCase>();
        foreach (var path in System.IO.Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var file = Path.GetRelativePath(root, path).Replace('\\', '/');
            var stream = new YamlStream();
            using (var reader = new StreamReader(path))
            {
                stream.Load(reader);
            }

            var top = (YamlMappingNode)stream.Documents[0].RootNode;
            foreach (var node in ((YamlSequenceNode)top["cases"]).Children.Cast<YamlMappingNode>())
            {
                var c = ReadCase(file, node);
                cases.Add(c with { Occurrence = cases.Count(x => x.File == c.File && x.Note == c.Note) + 1 });
            }
        }

        return cases;
    }

    private static ConformanceCase ReadCase(string file, YamlMappingNode node)
    {
        YamlNode? Get(string key) => node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;
        bool Flag(string key, bool fallback) => Get(key) is YamlScalarNode s ? s.Value == "true" : fallback;

        var modules = Get("modules") is YamlSequenceNode m ? m.Children.Select(c => ((YamlScalarNode)c).Value ?? string.Empty).ToList() : [];
        var inputs = new List<Value?>();
        if (Get("input") is { } input)
        {
            if (Many(input) is { } many)
            {
                inputs.AddRange(many.Children.Select(ToValue));
            }
            else
            {
                inputs.Add(ToValue(input));
            }
        }
        else
        {
            inputs.Add(null);
        }

        IReadOnlyList<Value>? want = null;
        var wantMany = false;
        if (Get("want_result") is { } result)
        {
            if (Many(result) is { } many)
            {
                want = [.. many.Children.Select(ToValue)];
                wantMany = true;
            }
            else
            {
                want = [ToValue(result)];
            }
        }

        return new ConformanceCase(
            file,
            ((YamlScalarNode)Get("note")!).Value!,
            modules,
            Get("data") is { } data ? ToValue(data) : null,
            inputs,
            ((YamlScalarNode)Get("query")!).Value!.Trim(),
            want,
            wantMany,
            Flag("no_result", false),
            Get("error") is YamlScalarNode e ? e.Value : null,
            Flag("skip", false),
            Flag("strict", true));
    }

    private static YamlSequenceNode? Many(YamlNode node) =>
        node is YamlMappingNode { Children.Count: 1 } map && map.Children.TryGetValue(new YamlScalarNode("many!"), out var many) ? (YamlSequenceNode)many : null;

    public static Value ToValue(YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                return Scalar(scalar);
            case YamlSequenceNode sequence:
                return Value.Array(sequence.Children.Select(ToValue));
            case YamlMappingNode map:
                if (map.Children.Count == 1 && map.Children.First().Key is YamlScalarNode { Value: "set!" or "object!" } tag)
                {
                    var items = (YamlSequenceNode)map.Children.First().Value;
                    if (tag.Value == "set!")
                    {
                        return Value.Set(items.Children.Select(ToValue));
                    }

                    return Value.Object(items.Children.Cast<YamlMappingNode>().Select(entry =>
                        new KeyValuePair<Value, Value>(ToValue(entry[new YamlScalarNode("key")]), ToValue(entry[new YamlScalarNode("value")]))));
                }

                return Value.Object(map.Children.Select(p => new KeyValuePair<Value, Value>(ToValue(p.Key), ToValue(p.Value))));
            default:
                throw new InvalidDataException($"unsupported YAML node {node.NodeType}");
        }
    }

    private static Value Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style is not YamlDotNet.Core.ScalarStyle.Plain)
        {
            return Value.String(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return Value.Null;
            case "true" or "True" or "TRUE":
                return Value.True;
            case "false" or "False" or "FALSE":
                return Value.False;
        }

        if ((char.IsAsciiDigit(text[0]) || (text.Length > 1 && text[0] is '-' or '+' && char.IsAsciiDigit(text[1])))
            && NumberValue.TryParse(text.TrimStart('+'), out var number)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            return number;
        }

        return Value.String(text);
    }
}
