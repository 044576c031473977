using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Orchestration.Workflows;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Writes run and step events into the outbox inside the transaction that commits the state they describe, so an
/// event is never lost and never ahead of its state.
/// </summary>
internal sealed class RunEvents(IOutbox outbox, IIdGenerator ids, TimeProvider time, IEnumerable<IRunEventObserver>? observers = null)
{
    public const string Source = "soma/worker";

    private readonly IRunEventObserver[] _observers = observers?.ToArray() ?? [];

    // Events held for a transaction while HoldingAsync runs its work (a run's commit), appended together after it.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<IStoreTransaction, List<OutboxMessage>> _held = [];

    public async Task AppendAsync<TData>(IStoreTransaction transaction, RunRecord run, TData data, CancellationToken cancellationToken, string? idempotencyKey = null)
        where TData : IEventData
    {
        var context = Trace(run);
        var envelope = context.Create(data, ids, time, idempotencyKey);
        var payload = EventJson.Serialize(envelope);
        var message = OutboxMessages.For(envelope, payload, run.Id.ToString());
        if (_held.TryGetValue(transaction, out var held))
        {
            held.Add(message);
        }
        else
        {
            await outbox.AppendAsync(transaction, message, cancellationToken).ConfigureAwait(false);
        }

        foreach (var observer in _observers)
        {
            await observer.OnEventAsync(transaction, run, envelope.Id, TData.EventType, payload, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> with the events appended in <paramref name="transaction"/> held, then appends them
    /// together (one round trip on PostgreSQL), still in the transaction and in their order (their ids are time-ordered,
    /// and the outbox delivers by time and id). If the work throws, nothing it held is written.
    /// </summary>
    public async Task<T> HoldingAsync<T>(IStoreTransaction transaction, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var held = new List<OutboxMessage>();
        _held.AddOrUpdate(transaction, held);
        try
        {
            var result = await work().ConfigureAwait(false);
            await outbox.AppendManyAsync(transaction, held, cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            // Others may share the transaction (group commit): what they append after this goes straight to the outbox.
            _held.Remove(transaction);
        }
    }

    /// <summary>A sink that appends a step's own events in <paramref name="transaction"/>.</summary>
    public StepCommitContext.IEventSink SinkFor(IStoreTransaction transaction, RunRecord run, CancellationToken cancellationToken) => new Sink(this, transaction, run, cancellationToken);

    public static WorkflowRef Workflow(RunRecord run) => new(run.Workflow, run.WorkflowVersion);

    private static EventContext Trace(RunRecord run)
    {
        // The run's events continue the trace of the request that started it, under the current span.
        var context = EventContext.FromActivity(System.Diagnostics.Activity.Current, run.TenantId, Source, run.Id.ToString()) with { RunId = run.Id };
        return ParseTraceParent(run.TraceParent) is (string traceId, string parentSpan)
            ? context with { TraceId = traceId, ParentSpanId = parentSpan }
            : context;
    }

    private static (string? TraceId, string? SpanId) ParseTraceParent(string? traceParent)
    {
        // version-traceid-spanid-flags
        if (traceParent is { Length: 55 } && traceParent[2] == '-' && traceParent[35] == '-')
        {
            return (traceParent[3..35], traceParent[36..52]);
        }

        return (null, null);
    }

    private sealed class Sink(RunEvents events, IStoreTransaction transaction, RunRecord run, CancellationToken cancellationToken) : StepCommitContext.IEventSink
    {
        public Task AppendAsync<TData>(TData data, string? idempotencyKey)
            where TData : IEventData => events.AppendAsync(transaction, run, data, cancellationToken, idempotencyKey);
    }
}
