namespace Soma.Contracts.Events;

/// <summary><c>agent.tools.v1</c> <c>tool.denied</c>: Policy denied the call.</summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="Reason">Why it was denied.</param>
/// <param name="PolicyRevision">Revision of the deciding policy.</param>
public sealed record ToolDenied(string ToolCallId, string Tool, string Reason, string? PolicyRevision = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.denied";
}
