namespace Soma.Contracts.Events;

/// <summary>
/// One event as it travels: the envelope every schema shares (<c>schemas/envelope.v1.json</c>) around typed data.
/// <see cref="Type"/> and <see cref="Schema"/> come from the data type, so they cannot disagree with it.
/// </summary>
/// <typeparam name="TData">The event's data.</typeparam>
public sealed record EventEnvelope<TData>
    where TData : IEventData
{
    /// <summary>Unique event id, a UUIDv7.</summary>
    public required Guid Id { get; init; }

    /// <summary>The event type, e.g. <c>step.succeeded</c>.</summary>
    public string Type => TData.EventType;

    /// <summary>The schema the event follows, e.g. <c>agent.steps.v1</c>.</summary>
    public string Schema => TData.SchemaName;

    /// <summary>When it happened.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The tenant it belongs to.</summary>
    public required string TenantId { get; init; }

    /// <summary>The emitting component, e.g. <c>soma/worker</c>.</summary>
    public required string Source { get; init; }

    /// <summary>W3C trace id (32 lowercase hex digits).</summary>
    public required string TraceId { get; init; }

    /// <summary>W3C span id (16 lowercase hex digits).</summary>
    public required string SpanId { get; init; }

    /// <summary>Span id of the parent operation, if any.</summary>
    public string? ParentSpanId { get; init; }

    /// <summary>The request that caused the event.</summary>
    public required string RequestId { get; init; }

    /// <summary>The conversation session, if any.</summary>
    public Guid? SessionId { get; init; }

    /// <summary>The workflow run, if any.</summary>
    public Guid? RunId { get; init; }

    /// <summary>Key that makes the effect behind the event safe to repeat, if any.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The typed payload.</summary>
    public required TData Data { get; init; }
}
