using System.Collections.Concurrent;
using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Limits;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Core.Streaming;
using Soma.Core.Turns;
using Soma.Orchestration.Runs;

namespace Soma.Agents.Turns;

/// <summary>
/// Copies the events of <c>chat.turn</c> runs into their session's log, in the same transaction, so a session's SSE
/// stream shows the turn's run, steps and tools in order with the conversation. A failed turn also gets a
/// <c>conversation.error</c> the user sees; a turn that ends gives its tenant's turn slot back.
/// </summary>
public sealed class SessionEventMirror(
    ISessionStore sessions, IOutbox outbox, ISessionStream stream, ActiveTurnCounter turns, IIdGenerator ids, TimeProvider time,
    TurnMetrics? metrics = null) : IRunEventObserver
{
    private const int MaxCachedInputs = 10_000;
    private readonly ConcurrentDictionary<Guid, TurnInput> _inputs = new();

    /// <inheritdoc />
    public bool WritesFor(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Workflow == ChatTurnWorkflow.Name;
    }

    /// <inheritdoc />
    public async Task OnEventAsync(IStoreTransaction transaction, RunRecord run, Guid eventId, string eventType, string payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(run);
        // run.accepted commits with the user message, whose event already names the run; run.checkpointed repeats
        // what the step events say. Neither is worth two more writes per event in the session log.
        if (run.Workflow != ChatTurnWorkflow.Name || eventType == RunAccepted.EventType || eventType == RunCheckpointed.EventType)
        {
            return;
        }

        var input = InputOf(run);
        var key = new SessionKey(run.TenantId, input.SessionId);
        var now = time.GetUtcNow();
        var ended = eventType == RunSucceeded.EventType || eventType == RunFailed.EventType || eventType == RunCancelled.EventType;
        if (await sessions.AppendEventAsync(transaction, new SessionEvent(run.TenantId, input.SessionId, 0, eventId, eventType, payload, now), cancellationToken).ConfigureAwait(false) is null)
        {
            // The session was deleted while the turn ran: nothing to show it to. A turn that ends still gives its slot back
            // (and drops its live text), or the tenant would be refused turns until a restart.
            if (ended)
            {
                transaction.OnCommitted(() => End(run, key, input, eventType));
            }

            return;
        }

        if (eventType == RunFailed.EventType)
        {
            await AppendErrorAsync(transaction, run, input, payload, cancellationToken).ConfigureAwait(false);
        }

        transaction.OnCommitted(() =>
        {
            if (ended)
            {
                End(run, key, input, eventType);
            }

            stream.NotifyDurable(key);
        });
    }

    private void End(RunRecord run, SessionKey key, TurnInput input, string eventType)
    {
        stream.EndAnswer(key, input.ReplyId);
        stream.EndToolOutputs(key, run.Id);
        turns.Release(run.TenantId);
        metrics?.Ended(eventType["run.".Length..], time.GetUtcNow() - run.CreatedAt);
        _inputs.TryRemove(run.Id, out _);
    }

    private async Task AppendErrorAsync(IStoreTransaction transaction, RunRecord run, TurnInput input, string payload, CancellationToken cancellationToken)
    {
        using var failed = JsonDocument.Parse(payload);
        var error = failed.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("error", out var e) ? e : default;
        var code = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) ? c.GetString() : null;
        var message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.GetString() : null;
        var context = EventContext.FromActivity(System.Diagnostics.Activity.Current, run.TenantId, "soma/worker", run.Id.ToString()) with { SessionId = input.SessionId, RunId = run.Id };
        var envelope = context.Create(new ConversationError(input.ReplyId, new EventError(
            string.IsNullOrEmpty(code) ? "turn.failed" : code,
            string.IsNullOrEmpty(message) ? "The turn failed." : message,
            code is not ("model.not_configured" or "model.rejected"))), ids, time);
        var json = EventJson.Serialize(envelope);
        await outbox.AppendAsync(transaction, OutboxMessages.ForSessionEvent(envelope, json, input.SessionId), cancellationToken).ConfigureAwait(false);
        await sessions.AppendEventAsync(transaction, new SessionEvent(run.TenantId, input.SessionId, 0, envelope.Id, ConversationError.EventType, json, envelope.Time), cancellationToken).ConfigureAwait(false);
    }

    private TurnInput InputOf(RunRecord run)
    {
        if (_inputs.TryGetValue(run.Id, out var cached))
        {
            return cached;
        }

        var input = ChatTurn.ReadInput(run.Input);
        if (_inputs.Count < MaxCachedInputs)
        {
            _inputs[run.Id] = input;
        }

        return input;
    }
}
