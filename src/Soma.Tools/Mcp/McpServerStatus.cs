namespace Soma.Tools.Mcp;

/// <summary>The state of one MCP server, for health and operators.</summary>
/// <param name="Name">The configured name.</param>
/// <param name="Transport"><c>stdio</c> or <c>http</c>.</param>
/// <param name="State">Where it is.</param>
/// <param name="Tools">How many tools it offers.</param>
/// <param name="Connections">How many times it connected since start (a reconnection counts).</param>
/// <param name="Problem">Why it is down, or null.</param>
public sealed record McpServerStatus(string Name, string Transport, McpServerState State, int Tools, int Connections, string? Problem);
