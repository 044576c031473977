namespace Soma.Tools;

/// <summary>
/// The one registry of this project's log event ids: every <c>[LoggerMessage]</c> of Soma.Tools takes its id from here, each id
/// names one kind of log line, and ids stay stable across releases (operators filter and alert on them). A test checks
/// that they are unique and that no <c>[LoggerMessage]</c> uses an id from elsewhere.
/// </summary>
internal static class LogEvents
{
    /// <summary>Logged by <c>ToolInvoker</c>.</summary>
    public const int ToolInvokerPolicyFailed = 4101;

    /// <summary>Logged by <c>McpServerConnection</c>.</summary>
    public const int McpServerConnectionConnected = 4201;

    /// <summary>Logged by <c>McpServerConnection</c>.</summary>
    public const int McpServerConnectionDisconnected = 4202;

    /// <summary>Logged by <c>McpServerConnection</c>.</summary>
    public const int McpServerConnectionConnectFailed = 4203;

    /// <summary>Logged by <c>McpServerConnection</c>.</summary>
    public const int McpServerConnectionCallFailed = 4204;

    /// <summary>Logged by <c>McpServerConnection</c>.</summary>
    public const int McpServerConnectionDuplicateTool = 4205;

    /// <summary>Logged by <c>McpServerConnection</c>.</summary>
    public const int McpServerConnectionListFailed = 4206;

    /// <summary>Logged by <c>McpServerConnection</c>.</summary>
    public const int McpServerConnectionServerStderr = 4207;

    /// <summary>Logged by <c>McpServerConnection</c>.</summary>
    public const int McpServerConnectionDisposeFailed = 4208;

    /// <summary>Logged by <c>HttpLog</c>.</summary>
    public const int HttpRequest = 4210;

    /// <summary>Logged by <c>HttpLog</c>.</summary>
    public const int HttpRefused = 4211;

    /// <summary>Logged by <c>FilesLog</c>.</summary>
    public const int FilesPathRefused = 4220;

    /// <summary>Logged by <c>EgressLog</c>.</summary>
    public const int EgressAllowed = 4230;

    /// <summary>Logged by <c>EgressLog</c>.</summary>
    public const int EgressRefused = 4231;

    /// <summary>Logged by <c>EgressLog</c>.</summary>
    public const int EgressFailed = 4232;

    /// <summary>Logged by <c>EgressLog</c>.</summary>
    public const int EgressInvalid = 4233;

    /// <summary>Logged by <c>GvisorSandbox</c>.</summary>
    public const int GvisorStartRetried = 4240;
}
