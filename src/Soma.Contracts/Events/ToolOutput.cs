namespace Soma.Contracts.Events;

/// <summary><c>agent.tools.v1</c> <c>tool.output</c>: A chunk of the tool's output.</summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="Chunk">The output chunk.</param>
/// <param name="Index">Chunk number, from 0.</param>
/// <param name="Bytes">Output bytes so far.</param>
public sealed record ToolOutput(string ToolCallId, string Tool, string Chunk, int Index, long Bytes) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.output";
}
