namespace Soma.Contracts.Events;

/// <summary><c>agent.tools.v1</c> <c>tool.succeeded</c>: The tool finished successfully.</summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="DurationMs">Call duration in milliseconds.</param>
/// <param name="Sandbox">Where it ran.</param>
/// <param name="Bytes">Output bytes.</param>
public sealed record ToolSucceeded(string ToolCallId, string Tool, double DurationMs, Sandbox Sandbox, long Bytes) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.succeeded";
}
