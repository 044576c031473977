using Soma.Tools.Registry;

namespace Soma.Tools.Invocation;

/// <summary>One tool call to decide on and run.</summary>
/// <param name="Caller">Who asks.</param>
/// <param name="CallId">The model's id for the call.</param>
/// <param name="Tool">The tool name as the model gave it (may name no registered tool).</param>
/// <param name="ArgumentsJson">The arguments as the model gave them (may be invalid JSON).</param>
/// <param name="Context">Session, run and time of the call.</param>
/// <param name="StepId">The workflow step, when in a run.</param>
/// <param name="Timeout">How long the tool may run.</param>
/// <param name="ReplyId">The answer this call contributes to, in a conversation (long-term memory links the output to it).</param>
/// <param name="Round">The round of the caller's tool loop (0 for a single call).</param>
public sealed record ToolCallRequest(ToolCaller Caller, string CallId, string Tool, string ArgumentsJson, ToolContext Context, string? StepId, TimeSpan Timeout, Guid? ReplyId = null, int Round = 0);
