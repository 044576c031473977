namespace Soma.Tools.Mcp;

/// <summary>Where a configured MCP server is.</summary>
public enum McpServerState
{
    /// <summary>Starting, or reconnecting after a failure.</summary>
    Connecting,

    /// <summary>Connected: its tools answer.</summary>
    Connected,

    /// <summary>Down (it crashed, or could not be reached); a reconnection is scheduled, its tools answer <c>mcp.unavailable</c>.</summary>
    Unavailable,
}
