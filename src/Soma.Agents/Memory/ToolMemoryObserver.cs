using System.Text.Json;
using Soma.Memory.WriteThrough;
using Soma.Tools.Invocation;

namespace Soma.Agents.Memory;

/// <summary>
/// Remembers what tools did in a conversation, in the same commit as the call's records: a <c>memory.save</c> note as a
/// note, any other tool's output as a tool memory linked to the answer. Recalled memories are not remembered again
/// (that would fill recall with copies), and denied or failed-to-parse calls leave nothing.
/// </summary>
internal sealed class ToolMemoryObserver(MemoryWriteThrough memory) : IToolCallObserver
{
    public async Task OnRecordedAsync(ToolInvocation invocation, IToolEventSink sink)
    {
        var request = invocation.Request;
        if (!invocation.Ran || request.ReplyId is not { } replyId)
        {
            return;
        }

        var tenant = request.Caller.TenantId;
        var session = request.Context.SessionId;
        if (request.Tool == MemorySaveTool.ToolName)
        {
            // The note itself is the memory (its "saved" confirmation is not worth remembering).
            if (invocation.Result.ErrorCode is null && SavedNote(request.ArgumentsJson) is { } note)
            {
                await memory.RememberNoteAsync(sink.Transaction, tenant, session, replyId, request.CallId, note, sink.CancellationToken).ConfigureAwait(false);
            }
        }
        else if (request.Tool != MemoryRecallTool.ToolName)
        {
            await memory.RememberToolOutputAsync(sink.Transaction, tenant, session, replyId, request.Round, request.CallId, request.Tool, invocation.Result.Output, sink.CancellationToken).ConfigureAwait(false);
        }
    }

    private static string? SavedNote(string argumentsJson)
    {
        try
        {
            using var arguments = JsonDocument.Parse(string.IsNullOrWhiteSpace(argumentsJson) ? "{}" : argumentsJson);
            return MemorySaveTool.Check(arguments.RootElement, out var text) is null ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
