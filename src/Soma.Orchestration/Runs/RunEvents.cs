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
        if (transaction is Collected.Ahead ahead)
        {
            // Not written yet, and the run not committed: the observers see the event once the commit is accepted. Kept
            // as UTF-8, which a bundle row is written from; text is made only for a row of its own or an observer.
            ahead.Owner.Add(OutboxMessages.For(envelope, "", run.Id.ToString()), EventJson.SerializeToUtf8Bytes(envelope), run, TData.EventType);
            return;
        }

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

    /// <summary>
    /// Runs <paramref name="work"/> with the events it appends collected, not written, before any transaction: the caller
    /// writes them with the run's commit (<see cref="RunCommit.Events"/>, one statement on PostgreSQL), so they exist only
    /// if the commit is accepted, and then shows them to the observers (<see cref="Collected.NotifyAsync"/>). Made here,
    /// on the run's own task, their JSON is not written inside a group commit that other runs wait on. The transaction
    /// <paramref name="work"/> is handed only collects: anything written through it fails.
    /// </summary>
    public async Task<Collected> CollectAsync(Func<IStoreTransaction, Task> work)
    {
        var collected = new Collected(this);
        await work(new Collected.Ahead(collected)).ConfigureAwait(false);
        collected.Pack();
        return collected;
    }

    /// <summary>A sink that appends a step's own events in <paramref name="transaction"/>.</summary>
    public StepCommitContext.IEventSink SinkFor(IStoreTransaction transaction, RunRecord run, CancellationToken cancellationToken) => new Sink(this, transaction, run, cancellationToken);

    public static WorkflowRef Workflow(RunRecord run) => new(run.Workflow, run.WorkflowVersion);

    /// <summary>Whether any observer may write in the transaction when it sees <paramref name="run"/>'s events.</summary>
    public bool ObserversWrite(RunRecord run)
    {
        foreach (var observer in _observers)
        {
            if (observer.WritesFor(run))
            {
                return true;
            }
        }

        return false;
    }

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

    /// <summary>Events collected for a run's commit, in the order they were appended.</summary>
    internal sealed class Collected(RunEvents events)
    {
        // Each event's row without its payload, and the payload as UTF-8 JSON.
        private readonly List<OutboxMessage> _messages = [];
        private readonly List<byte[]> _payloads = [];
        private readonly List<(RunRecord Run, string Type)> _seen = [];

        /// <summary>
        /// The outbox rows to write with the commit: its events, in one row when there are several (decision 0017), made
        /// when the collecting work ended, not inside the transaction.
        /// </summary>
        public IReadOnlyList<OutboxMessage> Rows { get; private set; } = [];

        public void Add(OutboxMessage message, byte[] payload, RunRecord run, string type)
        {
            _messages.Add(message);
            _payloads.Add(payload);
            _seen.Add((run, type));
        }

        // Once, when the collecting work has ended.
        public void Pack() => Rows = OutboxBundles.Pack(_messages, _payloads);

        /// <summary>Shows each event to the observers, in order, inside <paramref name="transaction"/>, which committed it.</summary>
        public async Task NotifyAsync(IStoreTransaction transaction, CancellationToken cancellationToken)
        {
            if (events._observers.Length == 0)
            {
                return;
            }

            for (var i = 0; i < _seen.Count; i++)
            {
                var (run, type) = _seen[i];
                var payload = System.Text.Encoding.UTF8.GetString(_payloads[i]);
                foreach (var observer in events._observers)
                {
                    await observer.OnEventAsync(transaction, run, _messages[i].Id, type, payload, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        // What the collecting work is handed as its transaction, for AppendAsync to collect by: never a place to write. No
        // store owns it, so a store refuses a write through it; committing it is a bug.
        internal sealed class Ahead(Collected owner) : IStoreTransaction
        {
            public Collected Owner => owner;

            public Task CommitAsync(CancellationToken cancellationToken = default) => throw new InvalidOperationException("Events made ahead of a commit have no transaction of their own.");

            public void OnCommitted(Action callback) => throw new InvalidOperationException("Events made ahead of a commit have no transaction of their own.");

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private sealed class Sink(RunEvents events, IStoreTransaction transaction, RunRecord run, CancellationToken cancellationToken) : StepCommitContext.IEventSink
    {
        public Task AppendAsync<TData>(TData data, string? idempotencyKey)
            where TData : IEventData => events.AppendAsync(transaction, run, data, cancellationToken, idempotencyKey);
    }
}
