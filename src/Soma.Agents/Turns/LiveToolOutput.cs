using Soma.Core.Streaming;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Soma.Agents.Turns;

/// <summary>
/// A tool call's <see cref="ToolContext.Output"/> in a chat turn: each chunk goes to the session stream as the call's
/// live output (<c>tool.output_delta</c> on the session's events). The live text stops at the invoker's cap, as the
/// durable output does, so a tool that writes without end cannot grow the stream's memory.
/// </summary>
internal sealed class LiveToolOutput(ISessionStream stream, SessionKey session, Guid runId, string toolCallId) : IToolOutput
{
    private int _characters;

    public ValueTask WriteAsync(string chunk, CancellationToken cancellationToken)
    {
        var room = ToolInvoker.MaxOutputCharacters - _characters;
        if (room > 0 && !string.IsNullOrEmpty(chunk))
        {
            var kept = chunk.Length <= room ? chunk : chunk[..room];
            _characters += kept.Length;
            stream.AppendToolOutput(session, runId, toolCallId, kept);
        }

        return ValueTask.CompletedTask;
    }
}
