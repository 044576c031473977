namespace Soma.Contracts.Events;

/// <summary><c>agent.tools.v1</c> <c>tool.allowed</c>: Policy allowed the call.</summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="PolicyRevision">Revision of the deciding policy.</param>
public sealed record ToolAllowed(string ToolCallId, string Tool, string? PolicyRevision = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.allowed";
}
