namespace Soma.Tools.Mcp;

/// <summary>
/// <c>Soma:Mcp:Servers:{name}</c>: one MCP server, either a program started over stdio inside the sandbox
/// (<see cref="Command"/>) or a server reached over HTTP (<see cref="Url"/>), never both.
/// </summary>
public sealed class McpServerOptions
{
    /// <summary>Whether the server is used (default true); a disabled server is validated but never started.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>stdio: the program, an absolute path visible inside the sandbox (under <c>/usr</c> or <c>/workspace</c>) or a name on <c>/usr/bin:/bin</c>.</summary>
    public string? Command { get; set; }

    /// <summary>stdio: the program's arguments.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>stdio: environment variables of the program (nothing of the server's own environment is passed).</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>stdio: the sandbox profile, <c>bubblewrap</c> or <c>gvisor</c>; empty: <c>Soma:Sandbox:DefaultProfile</c>.</summary>
    public string? Profile { get; set; }

    /// <summary>HTTP: the server's endpoint (Streamable HTTP, or the older HTTP with SSE), <c>http</c> or <c>https</c>.</summary>
    public string? Url { get; set; }

    /// <summary>HTTP: headers sent with every request (e.g. <c>Authorization</c>); their values are never logged.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The longest a connection (start, handshake, tool list) or one call may take, in seconds (default 60); a call is also bounded by the caller's timeout.</summary>
    public int TimeoutSeconds { get; set; } = 60;

    /// <summary>Whether this is a stdio server.</summary>
    internal bool IsStdio => !string.IsNullOrWhiteSpace(Command);
}
