using System.Text;

namespace Soma.Tools.Mcp;

/// <summary>How an MCP server's tool is named here: <c>mcp.{server}.{tool}</c>, within the tool-name pattern <c>^[A-Za-z][A-Za-z0-9_.-]{0,63}$</c>.</summary>
internal static class McpToolNames
{
    public const int MaxLength = 64;

    /// <summary>The registered name; characters outside the pattern become <c>_</c> and the name is cut at 64 characters.</summary>
    public static string For(string server, string tool)
    {
        var name = new StringBuilder("mcp.").Append(server).Append('.');
        foreach (var c in tool)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_');
        }

        if (tool.Length == 0)
        {
            name.Append('_');
        }

        return name.Length <= MaxLength ? name.ToString() : name.ToString(0, MaxLength);
    }
}
