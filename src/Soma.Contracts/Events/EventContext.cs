using System.Diagnostics;
using Soma.Contracts.Identity;

namespace Soma.Contracts.Events;

/// <summary>Where events come from: the tenant, the emitting component, the request and the trace they belong to.</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="Source">The emitting component, e.g. <c>soma/worker</c>.</param>
/// <param name="RequestId">The request that caused the events.</param>
/// <param name="TraceId">W3C trace id.</param>
/// <param name="SpanId">W3C span id of the emitting operation.</param>
public sealed record EventContext(string TenantId, string Source, string RequestId, string TraceId, string SpanId)
{
    /// <summary>Span id of the parent operation, if any.</summary>
    public string? ParentSpanId { get; init; }

    /// <summary>The session the events belong to, if any.</summary>
    public Guid? SessionId { get; init; }

    /// <summary>The run the events belong to, if any.</summary>
    public Guid? RunId { get; init; }

    /// <summary>A context carrying the trace of <paramref name="activity"/> (or a new trace when there is none).</summary>
    public static EventContext FromActivity(Activity? activity, string tenantId, string source, string requestId)
    {
        var traceId = activity?.TraceId ?? ActivityTraceId.CreateRandom();
        var spanId = activity?.SpanId ?? ActivitySpanId.CreateRandom();
        return new EventContext(tenantId, source, requestId, traceId.ToHexString(), spanId.ToHexString())
        {
            ParentSpanId = activity is { ParentSpanId: var parent } && parent != default ? parent.ToHexString() : null,
        };
    }

    /// <summary>Wraps <paramref name="data"/> in an envelope stamped with a new UUIDv7 and the current time.</summary>
    public EventEnvelope<TData> Create<TData>(TData data, IIdGenerator ids, TimeProvider time, string? idempotencyKey = null)
        where TData : IEventData
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(time);
        return new EventEnvelope<TData>
        {
            Id = ids.NewId(),
            Time = time.GetUtcNow(),
            TenantId = TenantId,
            Source = Source,
            TraceId = TraceId,
            SpanId = SpanId,
            ParentSpanId = ParentSpanId,
            RequestId = RequestId,
            SessionId = SessionId,
            RunId = RunId,
            IdempotencyKey = idempotencyKey,
            Data = data,
        };
    }
}
