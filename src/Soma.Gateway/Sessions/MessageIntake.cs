using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Limits;
using Soma.Core.Storage;
using Soma.Core.Streaming;
using Soma.Core.Turns;
using Soma.Memory.Sync;
using Soma.Memory.WriteThrough;
using Soma.Orchestration.Runs;

namespace Soma.Gateway.Sessions;

/// <summary>A message to accept, already checked for shape and size by the caller.</summary>
/// <param name="Tenant">The sender's tenant.</param>
/// <param name="SessionId">The session it goes to.</param>
/// <param name="Content">The text.</param>
/// <param name="Metadata">A JSON object, or null.</param>
/// <param name="IdempotencyKey">The caller's key, or null.</param>
/// <param name="Subject">Who sent it (token subject).</param>
/// <param name="Roles">The sender's roles.</param>
/// <param name="TraceParent">The W3C traceparent the turn continues, or null.</param>
/// <param name="RequestId">The request's id, for the event's context.</param>
public sealed record IncomingMessage(
    string Tenant, Guid SessionId, string Content, string? Metadata, string? IdempotencyKey, string Subject, IReadOnlyList<string> Roles,
    string? TraceParent, string RequestId);

/// <summary>What became of a message: accepted (or accepted before), or why not. Nothing is written unless accepted.</summary>
public abstract record IntakeResult
{
    private IntakeResult()
    {
    }

    /// <summary>Accepted now, or before with the same key and body (<paramref name="Replayed"/>).</summary>
    public sealed record Accepted(Guid MessageId, Guid RunId, Guid ReplyId, bool Replayed) : IntakeResult;

    /// <summary>The key was used before for another message.</summary>
    public sealed record KeyReused(string IdempotencyKey) : IntakeResult;

    /// <summary>The session does not exist in the tenant.</summary>
    public sealed record SessionNotFound(Guid SessionId) : IntakeResult;

    /// <summary>The tenant's memory writes waiting for the memory service leave no room for another turn's.</summary>
    public sealed record BacklogFull(int Cap) : IntakeResult;

    /// <summary>The tenant already has its limit of turns in flight.</summary>
    public sealed record TooManyTurns(int Limit) : IntakeResult;

    /// <summary>No <c>chat.turn</c> workflow is registered in this process.</summary>
    public sealed record TurnsUnavailable : IntakeResult;
}

/// <summary>
/// Accepts a message durably: the message, its accepted <c>chat.turn</c> run, its memory write, the outbox row of its
/// <c>conversation.user_message</c> event and the session's copy of that event commit in one transaction (shared with
/// concurrent messages when the engine groups commits), or nothing does. A tenant whose memory writes back up to its cap, or
/// that has its limit of turns in flight, is refused; an idempotency key makes a retry return the first answer.
/// </summary>
public sealed class MessageIntake(
    ISessionStore sessions, IOutbox outbox, RunService runs, IIdGenerator ids, TimeProvider time, ISessionStream stream,
    ActiveTurnCounter turns, GroupCommitter committer, MemoryWriteThrough memory, MemoryBacklog backlog)
{
    /// <summary>Accepts <paramref name="message"/>, holding at most <paramref name="maxConcurrentTurns"/> turns of its tenant in flight.</summary>
    public async Task<IntakeResult> AcceptAsync(IncomingMessage message, int maxConcurrentTurns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var tenant = message.Tenant;

        // Accepting the message without its memory write would lose it: refuse until the backlog drains. A retry of a
        // message accepted before (same key) adds no write, so it still gets its answer: only a new run is refused.
        var admitted = backlog.TryAdmit(tenant, turns.Count(tenant));
        if (!admitted && message.IdempotencyKey is null)
        {
            return new IntakeResult.BacklogFull(backlog.Cap);
        }

        if (!turns.TryAcquire(tenant, maxConcurrentTurns))
        {
            return new IntakeResult.TooManyTurns(maxConcurrentTurns);
        }

        var slotHeld = true;
        try
        {
            var hash = RequestHash(message.Content, message.Metadata);
            var messageId = ids.NewId();
            var replyId = ids.NewId();

            // The caller travels with the turn: the worker that runs it asks the policy on the caller's behalf.
            var input = ChatTurn.ToInput(new TurnInput(message.SessionId, messageId, replyId, hash, message.Subject, message.Roles));
            var dedupeKey = message.IdempotencyKey is null ? null : $"message:{message.SessionId}:{message.IdempotencyKey}";

            // The turn's input is checked here, beside the other requests' work, not in the commit they all wait for.
            if (runs.Check(ChatTurn.Workflow, null, input, out var draft) is not null)
            {
                return new IntakeResult.TurnsUnavailable();
            }

            IntakeResult result;

            // When this process runs turns too, the run is accepted leased to its worker and handed over after the commit.
            using var reservation = runs.Reserve();
            Core.Runs.RunRecord? accepted = null;
            try
            {
                result = await committer.RunAsync(async (transaction, token) =>
                {
                    var started = await runs.AcceptAsync(transaction, tenant, draft, dedupeKey, message.TraceParent, reservation, token);
                    if (started.Existing)
                    {
                        return Replay(started.Run, message, hash);
                    }

                    var run = started.Run;
                    if (!admitted)
                    {
                        // Refusing here rolls back the run written above: a refused message leaves nothing behind.
                        throw new Refused(new IntakeResult.BacklogFull(backlog.Cap));
                    }

                    var now = time.GetUtcNow();
                    if (!await sessions.AppendMessageAsync(transaction, new SessionMessage(messageId, tenant, message.SessionId, "user", message.Content, message.Metadata, now), token))
                    {
                        // Rolls back the run written above (and retries any other message of the batch alone).
                        throw new Refused(new IntakeResult.SessionNotFound(message.SessionId));
                    }

                    await memory.RememberAcceptedMessageAsync(transaction, tenant, message.SessionId, messageId, message.Content,
                        new Dictionary<string, string> { ["run_id"] = run.Id.ToString() }, token);
                    var context = EventContext.FromActivity(Activity.Current, tenant, "soma/gateway", message.RequestId) with { SessionId = message.SessionId, RunId = run.Id };
                    var envelope = context.Create(new UserMessage(messageId, message.Content), ids, time, message.IdempotencyKey);
                    var payload = EventJson.Serialize(envelope);
                    await outbox.AppendAsync(transaction, OutboxMessages.ForSessionEvent(envelope, payload, message.SessionId), token);
                    await sessions.AppendEventAsync(transaction, new SessionEvent(tenant, message.SessionId, 0, envelope.Id, UserMessage.EventType, payload, envelope.Time), token);
                    var key = new SessionKey(tenant, message.SessionId);
                    transaction.OnCommitted(() => stream.NotifyDurable(key));
                    accepted = run;
                    return new IntakeResult.Accepted(messageId, run.Id, replyId, Replayed: false);
                }, cancellationToken);
            }
            catch (Refused refused)
            {
                return refused.Result;
            }

            // A new run owns the slot now; the worker gives it back when the turn ends.
            slotHeld = result is not IntakeResult.Accepted { Replayed: false };
            if (!slotHeld && accepted is not null)
            {
                reservation.HandOver(accepted);
            }

            return result;
        }
        finally
        {
            if (slotHeld)
            {
                turns.Release(tenant);
            }
        }
    }

    // The same key again: the same answer for the same body, a conflict for another body.
    private static IntakeResult Replay(Core.Runs.RunRecord run, IncomingMessage message, string hash)
    {
        var first = ChatTurn.ReadInput(run.Input);
        return first.SessionId != message.SessionId || first.RequestHash != hash
            ? new IntakeResult.KeyReused(message.IdempotencyKey!)
            : new IntakeResult.Accepted(first.MessageId, run.Id, first.ReplyId, Replayed: true);
    }

    private static string RequestHash(string content, string? metadata) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content + "\u0000" + (metadata ?? string.Empty))));

    // Carries a refusal out of the transaction so that it rolls back; caught by type right above, never seen outside.
    private sealed class Refused(IntakeResult result) : Exception
    {
        public IntakeResult Result { get; } = result;
    }
}
