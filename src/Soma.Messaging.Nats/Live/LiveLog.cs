using Microsoft.Extensions.Logging;

namespace Soma.Messaging.Nats.Live;

/// <summary>The live stream's log events (ids 7101–7149).</summary>
internal static partial class LiveLog
{
    [LoggerMessage(EventId = LogEvents.LiveOperationFailed, Level = LogLevel.Warning, Message = "Live {Operation} for session {SessionId} failed; subscribers that miss it resubscribe")]
    public static partial void OperationFailed(ILogger logger, LiveOperationKind operation, Guid sessionId, Exception exception);

    [LoggerMessage(EventId = LogEvents.LiveBacklogFull, Level = LogLevel.Warning, Message = "{Pending} live deltas are waiting for NATS: dropping deltas until the queue drains (subscribers see the gap and resubscribe)")]
    public static partial void BacklogFull(ILogger logger, int pending);

    [LoggerMessage(EventId = LogEvents.LiveBacklogDrained, Level = LogLevel.Information, Message = "The live queue drained: deltas flow again")]
    public static partial void BacklogDrained(ILogger logger);

    [LoggerMessage(EventId = LogEvents.LiveSnapshotReplyFailed, Level = LogLevel.Warning, Message = "Could not answer a snapshot request for session {SessionId}")]
    public static partial void SnapshotReplyFailed(ILogger logger, Guid sessionId, Exception exception);

    [LoggerMessage(EventId = LogEvents.LiveSnapshotTimedOut, Level = LogLevel.Debug, Message = "No snapshot reply on {Subject} within {Timeout}: subscribing without answers in progress")]
    public static partial void SnapshotTimedOut(ILogger logger, string subject, TimeSpan timeout);

    [LoggerMessage(EventId = LogEvents.LiveMalformedMessage, Level = LogLevel.Debug, Message = "Ignored a malformed live message on {Subject}: {Reason}")]
    public static partial void MalformedMessage(ILogger logger, string subject, string reason);

    [LoggerMessage(EventId = LogEvents.LiveMalformedSnapshot, Level = LogLevel.Debug, Message = "Ignored a malformed snapshot reply on {Subject}: {Reason}")]
    public static partial void MalformedSnapshot(ILogger logger, string subject, string reason);

    [LoggerMessage(EventId = LogEvents.LiveMissedDeltas, Level = LogLevel.Information, Message = "A subscriber of {Subject} missed deltas of {MessageId} (index {Index} after {Last}): closing it so it resubscribes")]
    public static partial void MissedDeltas(ILogger logger, string subject, Guid messageId, int index, int last);

    [LoggerMessage(EventId = LogEvents.LiveFellBehind, Level = LogLevel.Debug, Message = "A subscriber of {Subject} fell behind: closing it")]
    public static partial void FellBehind(ILogger logger, string subject);

    [LoggerMessage(EventId = LogEvents.LiveUnseenStart, Level = LogLevel.Debug, Message = "Dropped a delta of {MessageId} on {Subject}: this subscriber did not see the answer start")]
    public static partial void UnseenStart(ILogger logger, string subject, Guid messageId);

    [LoggerMessage(EventId = LogEvents.LivePumpFailed, Level = LogLevel.Warning, Message = "The live subscription on {Subject} failed; closing it")]
    public static partial void PumpFailed(ILogger logger, string subject, Exception exception);

    [LoggerMessage(EventId = LogEvents.LiveMissedToolDeltas, Level = LogLevel.Information, Message = "A subscriber of {Subject} missed output deltas of tool call {ToolCallId} (index {Index} after {Last}): closing it so it resubscribes")]
    public static partial void MissedToolDeltas(ILogger logger, string subject, string toolCallId, int index, int last);

    [LoggerMessage(EventId = LogEvents.LiveUnseenToolStart, Level = LogLevel.Debug, Message = "Dropped an output delta of tool call {ToolCallId} on {Subject}: this subscriber did not see the output start")]
    public static partial void UnseenToolStart(ILogger logger, string subject, string toolCallId);
}
