namespace Soma.Contracts.Events;

/// <summary><c>agent.tools.v1</c> <c>tool.output</c>: the tool's output (the whole of it, as kept, in one chunk since streaming went live).</summary>
/// <param name="ToolCallId">Id of the tool call.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="Chunk">The output chunk.</param>
/// <param name="Index">Chunk number, from 0.</param>
/// <param name="Bytes">Output bytes so far.</param>
/// <param name="Sha256">SHA-256 (lower-case hex) of the UTF-8 output this event carries.</param>
/// <param name="Truncated">Whether the output was cut (a cap or a timeout).</param>
public sealed record ToolOutput(string ToolCallId, string Tool, string Chunk, int Index, long Bytes, string? Sha256 = null, bool? Truncated = null) : IEventData
{
    /// <inheritdoc />
    public static string SchemaName => SchemaNames.Tools;

    /// <inheritdoc />
    public static string EventType => "tool.output";
}
