namespace Soma.Core.Streaming;

/// <summary>
/// The live side of a session's events: answer text as the model produces it (never stored until the answer is
/// final), and a wake-up whenever a durable event was committed. Subscribers get a snapshot of every answer in
/// progress taken atomically with the subscription, so snapshot + live items have no gap and no overlap.
/// </summary>
public interface ISessionStream
{
    /// <summary>Starts (or restarts, after a retry) the answer <paramref name="messageId"/> with <paramref name="baseText"/>; subscribers get a delta with index 0.</summary>
    void StartAnswer(SessionKey session, Guid runId, Guid messageId, string baseText);

    /// <summary>Appends <paramref name="text"/> to the answer; subscribers get it as the next delta.</summary>
    void AppendAnswer(SessionKey session, Guid messageId, string text);

    /// <summary>Forgets the answer: its final text is durable now.</summary>
    void EndAnswer(SessionKey session, Guid messageId);

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

/// <summary>One live item.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="RunId">The run of the answer (delta kinds).</param>
/// <param name="MessageId">The answer (delta kinds).</param>
/// <param name="Index">The delta's index: 0 starts the text over, later ones append.</param>
/// <param name="Text">The delta's text.</param>
public sealed record SessionStreamItem(SessionStreamItemKind Kind, Guid RunId, Guid MessageId, int Index, string Text);

/// <summary>The kinds of live items.</summary>
public enum SessionStreamItemKind
{
    /// <summary>A piece of an answer.</summary>
    Delta,

    /// <summary>Durable events were committed: read the log.</summary>
    Durable,
}
