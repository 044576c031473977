using System.Text;

namespace Soma.Tools.Mcp;

/// <summary>
/// How an MCP server's tool is named here: <c>mcp.{server}.{tool}</c>, within the tool-name pattern
/// <c>^[A-Za-z][A-Za-z0-9_.-]{0,63}$</c>, and so that it survives the trip to a model and back (function names travel
/// with each <c>.</c> as <c>__</c>, and at most 64 characters): no <c>__</c>, no <c>_</c> beside a dot.
/// </summary>
internal static class McpToolNames
{
    public const int MaxLength = 64;

    /// <summary>The registered name: characters outside the pattern become <c>_</c>, runs of <c>_</c> one, and the name is cut to fit.</summary>
    public static string For(string server, string tool)
    {
        var part = new StringBuilder();
        foreach (var c in tool)
        {
            var mapped = char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_';
            var previous = part.Length > 0 ? part[^1] : '.';
            if (mapped == '_' && previous is '_' or '.')
            {
                continue;
            }

            if (mapped == '.' && previous == '_')
            {
                part[^1] = '.';
                continue;
            }

            part.Append(mapped);
        }

        var name = $"mcp.{server}.{(part.Length == 0 ? "tool" : part.ToString())}";

        // Cut where both the name and its wire form (a dot is two characters there) fit in 64 characters.
        var length = 0;
        var wire = 0;
        while (length < name.Length && length < MaxLength && wire + (name[length] == '.' ? 2 : 1) <= MaxLength)
        {
            wire += name[length] == '.' ? 2 : 1;
            length++;
        }

        return name[..length].TrimEnd('_');
    }
}
