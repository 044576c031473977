namespace Soma.Contracts.Events;

/// <summary>
/// <c>agent.tools.v1</c> <c>tool.output_delta</c>: a live piece of a tool's output, sent on the session's event stream
/// while the tool runs (never stored; the durable <c>tool.output</c> replaces it).
/// </summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="Seq">0 starts the output over with the text so far; 1, 2, … append.</param>
/// <param name="Chunk">The text.</param>
public sealed record ToolOutputDelta(string ToolCallId, string Tool, int Seq, string Chunk) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.output_delta";
}
