namespace Soma.Contracts.Events;

/// <summary><c>agent.tools.v1</c> <c>tool.failed</c>: The tool failed, timed out or was killed.</summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="DurationMs">Call duration in milliseconds.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Sandbox">Where it ran.</param>
public sealed record ToolFailed(string ToolCallId, string Tool, double DurationMs, EventError Error, Sandbox? Sandbox = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.failed";
}
