namespace Soma.Contracts.Events;

/// <summary><c>agent.tools.v1</c> <c>tool.requested</c>: The model asked for a tool call.</summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="Arguments">The call arguments (a JSON object).</param>
/// <param name="StepId">The workflow step that made the call.</param>
public sealed record ToolRequested(string ToolCallId, string Tool, System.Text.Json.JsonElement? Arguments = null, string? StepId = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.requested";
}
