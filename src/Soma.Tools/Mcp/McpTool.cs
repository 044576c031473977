using System.Text.Json;
using Soma.Tools.Registry;

namespace Soma.Tools.Mcp;

/// <summary>
/// A tool of an MCP server, as the agents see it: <c>mcp.{server}.{tool}</c> with the server's description and input
/// schema. A call goes to the server's current connection (<c>tools/call</c>); while the server is down it answers
/// <c>mcp.unavailable</c>.
/// </summary>
internal sealed class McpTool(McpServerConnection server, string remoteName, string name, string description, JsonElement schema) : ITool
{
    public string Name => name;

    /// <summary>The tool's name on its server.</summary>
    public string RemoteName => remoteName;

    public string Description => description;

    public JsonElement ParametersSchema => schema;

    public string Risk => "medium";

    public bool Sandboxed => server.IsStdio;

    public async ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken) =>
        await server.CallAsync(this, arguments, context, cancellationToken).ConfigureAwait(false);
}
