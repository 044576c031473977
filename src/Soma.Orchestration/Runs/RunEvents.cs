using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Runs;
using Soma.Core.Storage;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Writes run and step events into the outbox inside the transaction that commits the state they describe, so an
/// event is never lost and never ahead of its state.
/// </summary>
internal sealed class RunEvents(IOutbox outbox, IIdGenerator ids, TimeProvider time)
{
    public const string Source = "soma/worker";

    public Task AppendAsync<TData>(IStoreTransaction transaction, RunRecord run, TData data, CancellationToken cancellationToken, string? idempotencyKey = null)
        where TData : IEventData
    {
        var context = Trace(run);
        var envelope = context.Create(data, ids, time, idempotencyKey);
        return outbox.AppendAsync(transaction, new OutboxMessage
        {
            Id = envelope.Id,
            TenantId = run.TenantId,
            Topic = TData.SchemaName,
            DedupeKey = envelope.Id.ToString(),
            PartitionKey = run.Id.ToString(),
            Payload = EventJson.Serialize(envelope),
            CreatedAt = envelope.Time,
        }, cancellationToken);
    }

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
}
