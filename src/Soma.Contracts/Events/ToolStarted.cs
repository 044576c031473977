namespace Soma.Contracts.Events;

/// <summary><c>agent.tools.v1</c> <c>tool.started</c>: The tool began executing.</summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="Sandbox">Where it runs.</param>
public sealed record ToolStarted(string ToolCallId, string Tool, Sandbox Sandbox) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.started";
}
