namespace Soma.Core.Streaming;

/// <summary>
/// The live side of a session's events: answer text as the model produces it and tool output as a tool writes it
/// (neither stored until final), and a wake-up whenever a durable event was committed. Subscribers get a snapshot of
/// every answer and tool output in progress taken atomically with the subscription, so snapshot + live items have no
/// gap and no overlap.
/// </summary>
public interface ISessionStream
{
    /// <summary>Starts (or restarts, after a retry) the answer <paramref name="messageId"/> with <paramref name="baseText"/>; subscribers get a delta with index 0.</summary>
    void StartAnswer(SessionKey session, Guid runId, Guid messageId, string baseText);

    /// <summary>Appends <paramref name="text"/> to the answer; subscribers get it as the next delta.</summary>
    void AppendAnswer(SessionKey session, Guid messageId, string text);

    /// <summary>Forgets the answer: its final text is durable now.</summary>
    void EndAnswer(SessionKey session, Guid messageId);

    /// <summary>
    /// Starts (or restarts, after a retry) the live output of tool call <paramref name="toolCallId"/> of run
    /// <paramref name="runId"/>, empty; subscribers get a delta with index 0.
    /// </summary>
    void StartToolOutput(SessionKey session, Guid runId, string toolCallId, string tool);

    /// <summary>Appends <paramref name="chunk"/> to the tool call's output; subscribers get it as the next delta.</summary>
    void AppendToolOutput(SessionKey session, Guid runId, string toolCallId, string chunk);

    /// <summary>Forgets every tool output of the run: their final output is durable now, or the step failed.</summary>
    void EndToolOutputs(SessionKey session, Guid runId);

    /// <summary>Tells subscribers that durable events were committed to the session's log.</summary>
    void NotifyDurable(SessionKey session);

    /// <summary>Subscribes to the session. Dispose the subscription to leave.</summary>
    ValueTask<SessionSubscription> SubscribeAsync(SessionKey session, CancellationToken cancellationToken = default);

    /// <summary>How many subscriptions are open in this process.</summary>
    int SubscriberCount { get; }
}

/// <summary>A session of a tenant.</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="SessionId">The session.</param>
public readonly record struct SessionKey(string TenantId, Guid SessionId);

/// <summary>An answer in progress, as a subscriber first sees it.</summary>
/// <param name="RunId">The turn's run.</param>
/// <param name="MessageId">The answer's message id.</param>
/// <param name="Text">All text so far.</param>
/// <param name="Index">The index of the last delta the text includes: live deltas with a higher index follow it.</param>
public sealed record AnswerSnapshot(Guid RunId, Guid MessageId, string Text, int Index = 0);

/// <summary>A tool call's output in progress, as a subscriber first sees it.</summary>
/// <param name="RunId">The turn's run.</param>
/// <param name="ToolCallId">The model's id for the call.</param>
/// <param name="Tool">The tool's name.</param>
/// <param name="Text">All output so far.</param>
/// <param name="Index">The index of the last delta the text includes: live deltas with a higher index follow it.</param>
public sealed record ToolOutputSnapshot(Guid RunId, string ToolCallId, string Tool, string Text, int Index = 0);

/// <summary>One live item.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="RunId">The run of the answer or tool call (delta kinds).</param>
/// <param name="MessageId">The answer (<see cref="SessionStreamItemKind.Delta"/>).</param>
/// <param name="Index">The delta's index: 0 starts the text over, later ones append.</param>
/// <param name="Text">The delta's text.</param>
/// <param name="ToolCallId">The tool call (<see cref="SessionStreamItemKind.ToolOutputDelta"/>).</param>
/// <param name="Tool">The tool's name (<see cref="SessionStreamItemKind.ToolOutputDelta"/>).</param>
public sealed record SessionStreamItem(SessionStreamItemKind Kind, Guid RunId, Guid MessageId, int Index, string Text, string? ToolCallId = null, string? Tool = null);

/// <summary>The kinds of live items.</summary>
public enum SessionStreamItemKind
{
    /// <summary>A piece of an answer.</summary>
    Delta,

    /// <summary>Durable events were committed: read the log.</summary>
    Durable,

    /// <summary>A piece of a tool call's output.</summary>
    ToolOutputDelta,
}
