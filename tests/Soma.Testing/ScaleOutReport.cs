namespace Soma.Testing;

/// <summary>What <see cref="ScaleOutScenario"/> saw: the event streams read from the gateways, the JetStream stream and the outbox.</summary>
public sealed record ScaleOutReport
{
    public required int Messages { get; init; }

    /// <summary>Messages answered 202 (each counted once, whatever the retries).</summary>
    public required int Accepted { get; init; }

    /// <summary>Message POSTs sent again with the same Idempotency-Key (connection failure, 429, 503).</summary>
    public required int Retried { get; init; }

    /// <summary>The whole scenario, from the first process started to the last check.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>From the first message sent to the last answer final on its stream.</summary>
    public required TimeSpan TurnsDuration { get; init; }

    /// <summary>What the kill hit: the worker, how many of its runs were mid-answer, how many deltas had been seen.</summary>
    public required string Kill { get; init; }

    /// <summary>True when the worker was killed while an answer it was writing had streamed deltas but was not final.</summary>
    public required bool KilledWhileStreaming { get; init; }

    /// <summary>Reply ids of the answers that were streaming (deltas seen, no final) from the killed worker when it died.</summary>
    public required IReadOnlyList<Guid> InterruptedAnswers { get; init; }

    /// <summary>Runs per state in PostgreSQL at the end (accepted, running, waiting, succeeded, failed, …).</summary>
    public required IReadOnlyDictionary<string, int> RunStates { get; init; }

    /// <summary>Per turn problems found on the gateways' event streams (missing, repeated or out-of-order finals, text mismatches).</summary>
    public required IReadOnlyList<string> StreamProblems { get; init; }

    /// <summary>conversation.assistant_final events seen over every session stream.</summary>
    public required int FinalsSeen { get; init; }

    /// <summary>Answer deltas seen over every session stream.</summary>
    public required int DeltasSeen { get; init; }

    /// <summary>Answers whose deltas were seen (their text rebuilt from deltas was compared with the final).</summary>
    public required int AnswersWithDeltas { get; init; }

    /// <summary>Answers whose deltas restarted at index 0 after the first one (a retried or resumed answer, or a reconnect's snapshot).</summary>
    public required int AnswersRestarted { get; init; }

    /// <summary>Deltas of an answer that arrived after its final (the gateway promises none).</summary>
    public required int LateDeltas { get; init; }

    /// <summary>Times a session stream ended and was opened again with Last-Event-ID.</summary>
    public required int Reconnects { get; init; }

    /// <summary>Messages in the JetStream stream when it was read.</summary>
    public required int StreamMessages { get; init; }

    /// <summary>Stream messages per subject's schema.</summary>
    public required IReadOnlyDictionary<string, int> StreamBySchema { get; init; }

    /// <summary>Nats-Msg-Id values held by more than one stream message (id ×count).</summary>
    public required IReadOnlyList<string> DuplicateIds { get; init; }

    /// <summary>Stream messages without a Nats-Msg-Id that is a GUID (subject and sequence).</summary>
    public required IReadOnlyList<string> MessagesWithoutId { get; init; }

    /// <summary>Stream messages that do not validate against their schema, or whose subject or id disagree with the event.</summary>
    public required IReadOnlyList<string> InvalidMessages { get; init; }

    /// <summary>Event rows in the outbox by status (pending, sent, dead_lettered).</summary>
    public required IReadOnlyDictionary<string, int> OutboxEvents { get; init; }

    /// <summary>Sent event rows of the outbox that are not in the stream.</summary>
    public required IReadOnlyList<string> SentNotInStream { get; init; }

    /// <summary>Stream messages that are not a sent event row of the outbox.</summary>
    public required IReadOnlyList<string> InStreamNotSent { get; init; }

    /// <summary>Per user message: problems with its turn in the stream (user message or final missing or repeated).</summary>
    public required IReadOnlyList<string> TurnProblems { get; init; }

    /// <summary>Rows of the outbox (every topic) still pending at the end.</summary>
    public required long FinalPending { get; init; }

    /// <summary>The /v1/health status of each soma serve process at the end (name: status, and the components not normal).</summary>
    public required IReadOnlyDictionary<string, string> Health { get; init; }

    /// <summary>The policy version each soma serve process reported in /v1/health (they load the same files).</summary>
    public required IReadOnlyDictionary<string, string> PolicyVersions { get; init; }

    /// <summary>Restarted workers whose process exited before listening (and was started again), with its output.</summary>
    public required IReadOnlyList<string> FailedStarts { get; init; }

    /// <summary>Where every process's output is written when the scenario ends (<see cref="ScaleOutOptions.LogDirectory"/> or a temp directory).</summary>
    public required string LogDirectory { get; init; }
}
