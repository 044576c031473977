using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Soma.Tools.Generators;

/// <summary>A method's XML doc comment as plain text: the summary, each parameter, what it returns.</summary>
internal sealed class DocComments
{
    private static readonly Regex Spaces = new(@"\s+", RegexOptions.CultureInvariant);
    private readonly XElement? _root;

    private DocComments(XElement? root) => _root = root;

    public static DocComments Parse(string? xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            return new DocComments(null);
        }

        try
        {
            return new DocComments(XDocument.Parse(xml).Root);
        }
        catch (XmlException)
        {
            // A malformed comment is the compiler's to report (CS1570); the tool then has no text.
            return new DocComments(null);
        }
    }

    public string? Summary => Text(_root?.Element("summary"));

    public string? Returns => Text(_root?.Element("returns"));

    public string? Param(string name) => Text(_root?.Elements("param").FirstOrDefault(p => (string?)p.Attribute("name") == name));

    private static string? Text(XElement? element)
    {
        if (element is null)
        {
            return null;
        }

        var builder = new StringBuilder();
        Append(builder, element);
        var text = Spaces.Replace(builder.ToString(), " ").Trim();
        return text.Length == 0 ? null : text;
    }

    private static void Append(StringBuilder builder, XElement element)
    {
        foreach (var node in element.Nodes())
        {
            if (node is XText text)
            {
                builder.Append(text.Value);
            }
            else if (node is XElement child)
            {
                switch (child.Name.LocalName)
                {
                    case "see" or "seealso" when !child.Nodes().Any():
                        builder.Append(Reference(child));
                        break;
                    case "paramref" or "typeparamref":
                        builder.Append((string?)child.Attribute("name"));
                        break;
                    case "para" or "br":
                        builder.Append(' ');
                        Append(builder, child);
                        builder.Append(' ');
                        break;
                    default:
                        Append(builder, child);
                        break;
                }
            }
        }
    }

    // <see cref="M:Ns.Type.Method(System.String)"/> reads as "Method"; <see langword="null"/> as "null".
    private static string? Reference(XElement see)
    {
        if ((string?)see.Attribute("langword") is { } word)
        {
            return word;
        }

        if ((string?)see.Attribute("href") is { } href)
        {
            return href;
        }

        var cref = (string?)see.Attribute("cref");
        if (cref is null)
        {
            return null;
        }

        var end = cref.IndexOf('(');
        var name = end < 0 ? cref : cref.Substring(0, end);
        var start = System.Math.Max(name.LastIndexOf('.'), name.LastIndexOf(':'));
        return name.Substring(start + 1);
    }
}
