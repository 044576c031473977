namespace Soma.Messaging.Nats.Live;

/// <summary>
/// One live item on <c>soma.{tenant}.live.{session}</c>:
/// <c>{"kind":"delta","origin":…,"seq":…,"run_id":…,"message_id":…,"index":…,"text":…}</c>; a tool output delta has
/// <c>"kind":"tool_delta"</c>, an empty message id, and <c>tool_call_id</c> and <c>tool</c>.
/// </summary>
/// <param name="Kind"><see cref="DeltaKind"/>, <see cref="ToolDeltaKind"/> or <see cref="DurableKind"/>.</param>
/// <param name="Origin">The publishing process (its stream instance): sequence numbers compare only within one origin.</param>
/// <param name="Seq">The origin's live sequence number, increasing over the process's life (not per session, not gap-free per session).</param>
/// <param name="RunId">The answer's run (deltas).</param>
/// <param name="MessageId">The answer (deltas).</param>
/// <param name="Index">0 starts the text over; n appends.</param>
/// <param name="Text">The delta's text.</param>
/// <param name="ToolCallId">The tool call (tool deltas).</param>
/// <param name="Tool">The tool's name (tool deltas).</param>
internal sealed record LiveMessage(string Kind, Guid Origin, long Seq, Guid RunId, Guid MessageId, int Index, string Text, string? ToolCallId = null, string? Tool = null)
{
    /// <summary>A piece of an answer.</summary>
    public const string DeltaKind = "delta";

    /// <summary>A piece of a tool call's output.</summary>
    public const string ToolDeltaKind = "tool_delta";

    /// <summary>Durable events were committed.</summary>
    public const string DurableKind = "durable";
}
