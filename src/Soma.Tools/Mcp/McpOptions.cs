namespace Soma.Tools.Mcp;

/// <summary>
/// <c>Soma:Mcp</c>: the MCP servers whose tools agents may call (as <c>mcp.{server}.{tool}</c>, granted in
/// <c>conf/roles.yaml</c> like any tool). None by default.
/// </summary>
public sealed class McpOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Mcp";

    /// <summary>The servers by name (<c>^[a-z0-9][a-z0-9_-]{0,30}$</c>).</summary>
    public IDictionary<string, McpServerOptions> Servers { get; } = new Dictionary<string, McpServerOptions>(StringComparer.Ordinal);

    /// <summary>
    /// Where each stdio server gets its own folder, bound read-write at <c>/workspace</c> in its sandbox
    /// (<c>{WorkspaceRoot}/{server}</c>); empty: <c>soma-mcp/{server}</c> under the system's temp folder.
    /// </summary>
    public string WorkspaceRoot { get; set; } = string.Empty;

    /// <summary>The first wait before reconnecting to a server that failed, in milliseconds; it doubles up to <see cref="ReconnectMaxSeconds"/>.</summary>
    public int ReconnectDelayMilliseconds { get; set; } = 1000;

    /// <summary>The longest wait between two reconnection attempts, in seconds.</summary>
    public int ReconnectMaxSeconds { get; set; } = 60;
}
