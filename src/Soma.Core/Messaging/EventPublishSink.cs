using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Contracts.Schemas;
using Soma.Core.Outbox;
using Soma.Core.Storage;
using Soma.Core.Telemetry;
using Soma.Core.Tenancy;

namespace Soma.Core.Messaging;

/// <summary>
/// The event relay's sink: validates every event row against its schema, then publishes it to
/// <c>soma.{tenant}.{schema}</c> with the event id as the bus's message id (so a relay that dies between publishing and
/// marking sent adds no duplicate to the stream). An event that is not valid is never published: it is dead-lettered at
/// once with the validator's pointer and message, audited (<c>event.rejected</c>) and counted. Publishes of one pass
/// are pipelined; the first one the bus could not take (down, timeout) stops the pass and gives the rest back.
/// </summary>
public sealed partial class EventPublishSink : IOutboxSink
{
    /// <summary>The meter of the relay's metrics.</summary>
    public const string MeterName = SomaMeters.Events;

    private readonly IEventBus _bus;
    private readonly EventValidator _validator;
    private readonly AuditTrail _audit;
    private readonly ILogger<EventPublishSink> _logger;
    private readonly Counter<long> _published;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _failed;
    private readonly ConcurrentDictionary<Guid, string> _rejections = new();

    /// <summary>Creates the sink and registers its instruments.</summary>
    public EventPublishSink(IEventBus bus, SchemaRegistry schemas, AuditTrail audit, IOptions<EventRelayOptions> options, IMeterFactory meterFactory, ILogger<EventPublishSink> logger)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _bus = bus;
        _validator = new EventValidator(schemas);
        _audit = audit;
        _logger = logger;
        // Bundles (decision 0017: a run commit's events in one row) go this way too, each of their events published.
        Route = options.Value.Route("events", [.. EventTopics(schemas), OutboxBundles.Topic]);
        var meter = meterFactory.Create(MeterName);
        _published = SomaMeters.EventsPublished.CreateCounter<long>(meter);
        _rejected = SomaMeters.EventsRejected.CreateCounter<long>(meter);
        _failed = SomaMeters.EventsPublishFailed.CreateCounter<long>(meter);
    }

    /// <summary>The events' route: every event topic (each schema but the envelope's), in partition order.</summary>
    public OutboxRoute Route { get; }

    /// <summary>The outbox topics that are events: the schema names of the registry, less the envelope.</summary>
    public static IEnumerable<string> EventTopics(SchemaRegistry schemas)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        return schemas.SchemaNames.Where(n => n != Contracts.Events.SchemaNames.Envelope).Order(StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public async Task<SinkResult> DeliverAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);

        // Validate everything first (each event of a bundle: one refused event refuses its whole row, and none of its
        // events is published), then start every publish in order (the bus keeps the order of one connection), then
        // collect the outcomes row by row.
        var publishes = new Task<BusPublishResult>[entries.Count][];
        var refusals = new (string Reason, string Schema)?[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            (var events, refusals[i]) = Unpack(entries[i].Message);
            publishes[i] = refusals[i] is null ? [.. events.Select(message => Publish(message, cancellationToken))] : [];
        }

        var result = new SinkResult();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (refusals[i] is var (reason, schema))
            {
                _rejections[entry.Message.Id] = reason;
                _rejected.Add(1, new("tenant", entry.Message.TenantId), new("schema", schema));
                LogRejected(_logger, entry.Message.Topic, entry.Message.Id, entry.Message.TenantId, reason);
                result.Refused.Add(new OutboxRefusal(entry, reason, DeadLetterNow: true));
                continue;
            }

            try
            {
                foreach (var publish in publishes[i])
                {
                    await publish.ConfigureAwait(false);
                }

                result.Sent.Add(entry);
            }
            catch (EventBusException ex) when (ex.IsTransient)
            {
                result.TransientError = ex.Message;
                result.Handled = i;
                _failed.Add(entries.Count - i, new KeyValuePair<string, object?>("kind", "transient"));
                ObserveRest(publishes, i);
                return result;
            }
            catch (EventBusException ex)
            {
                _failed.Add(1, new KeyValuePair<string, object?>("kind", "refused"));
                ObserveRest([publishes[i]], 0);
                result.Refused.Add(new OutboxRefusal(entry, $"the bus refused the event: {ex.Message}"));
            }
        }

        result.Handled = entries.Count;
        return result;
    }

    private Task<BusPublishResult> Publish(OutboxMessage message, CancellationToken cancellationToken)
    {
        using var activity = StartPublish(message);
        return _bus.PublishAsync(new BusMessage(message.Id, EventSubjects.For(message.TenantId, message.Topic), Encoding.UTF8.GetBytes(message.Payload)), cancellationToken);
    }

    // A row's events (a bundle's, or the row itself) and the refusal of the first that is not valid (with its schema),
    // or of a bundle that cannot be read.
    private (IReadOnlyList<OutboxMessage> Events, (string Reason, string Schema)? Refusal) Unpack(OutboxMessage row)
    {
        IReadOnlyList<OutboxMessage> events;
        try
        {
            events = OutboxBundles.Unpack(row);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            return ([], ($"the bundle of events cannot be read: {ex.Message}", row.Topic));
        }

        foreach (var message in events)
        {
            if (Check(message) is { } refusal)
            {
                return (events, (OutboxBundles.IsBundle(row) ? $"event {message.Id} ({message.Topic}) of the bundle: {refusal}" : refusal, message.Topic));
            }
        }

        return (events, null);
    }

    // A producer span per event, in the trace of the request that wrote it (the envelope's trace_id and span_id), so a
    // turn's trace shows when its events left for the bus. The payload is read only when someone listens.
    private static Activity? StartPublish(OutboxMessage message)
    {
        if (!SomaActivitySources.Messaging.HasListeners())
        {
            return null;
        }

        var activity = SomaActivitySources.Messaging.StartActivity($"publish {message.Topic}", ActivityKind.Producer, EnvelopeParent(message.Payload));
        activity?.SetTag("messaging.operation.type", "publish");
        activity?.SetTag("messaging.destination.name", EventSubjects.For(message.TenantId, message.Topic));
        activity?.SetTag("messaging.message.id", message.Id.ToString());
        return activity;
    }

    private static ActivityContext EnvelopeParent(string payload)
    {
        string? traceId = null, spanId = null;
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(payload));
        try
        {
            while (reader.Read() && (traceId is null || spanId is null))
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == "trace_id" && reader.TokenType == JsonTokenType.String)
                    {
                        traceId = reader.GetString();
                    }
                    else if (name == "span_id" && reader.TokenType == JsonTokenType.String)
                    {
                        spanId = reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }
        catch (JsonException)
        {
            return default;
        }

        return traceId is { Length: 32 } && spanId is { Length: 16 }
            && ActivityContext.TryParse($"00-{traceId}-{spanId}-01", null, isRemote: true, out var parent) ? parent : default;
    }

    /// <inheritdoc />
    public Task OnSentAsync(IReadOnlyList<OutboxEntry> sent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sent);
        // Counted per event: a bundle's events by their own schemas.
        foreach (var group in sent.SelectMany(e => OutboxBundles.Unpack(e.Message)).GroupBy(e => e.Topic, StringComparer.Ordinal))
        {
            _published.Add(group.Count(), new KeyValuePair<string, object?>("schema", group.Key));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task OnDeadLetteredAsync(OutboxEntry entry, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var rejected = _rejections.TryRemove(entry.Message.Id, out _);
        await _audit.WriteAsync("soma/relay", entry.Message.TenantId, "relay", rejected ? "event.rejected" : "event.dead_letter", $"event:{entry.Message.Id}",
            rejected
                ? "The event does not match its schema; it was never published and is kept in the outbox as dead-lettered."
                : $"The bus refused this event {entry.Attempts} times; it is kept in the outbox as dead-lettered.",
            new Dictionary<string, object?> { ["outbox_id"] = entry.Message.Id, ["schema"] = entry.Message.Topic, ["attempts"] = entry.Attempts, ["error"] = reason },
            cancellationToken).ConfigureAwait(false);
    }

    // Null when the row may be published, else why not (pointer and message of each schema error).
    private string? Check(OutboxMessage message)
    {
        if (!TenantId.IsValid(message.TenantId))
        {
            return $"/tenant_id: the tenant id '{message.TenantId}' is not {TenantId.Rule}, so it cannot be a subject token";
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.Payload);
        }
        catch (JsonException ex)
        {
            return $"(root): the payload is not JSON: {ex.Message}";
        }

        using (document)
        {
            var validation = _validator.Validate(document.RootElement, message.Topic);
            if (validation.IsValid)
            {
                // The envelope's tenant must be the row's: the subject is built from the row.
                return document.RootElement.TryGetProperty("tenant_id", out var tenant) && tenant.ValueKind == JsonValueKind.String && tenant.GetString() == message.TenantId
                    ? null
                    : $"/tenant_id: the event's tenant is not the outbox row's ('{message.TenantId}')";
            }

            return string.Join("; ", validation.Errors.Take(5).Select(e => $"{(e.Pointer.Length == 0 ? "(root)" : e.Pointer)}: {e.Message}"));
        }
    }

    // Publishes after a transient failure are not waited for, but their exceptions must be observed.
    private static void ObserveRest(Task<BusPublishResult>[][] publishes, int from)
    {
        for (var i = from; i < publishes.Length; i++)
        {
            foreach (var publish in publishes[i])
            {
                publish.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.EventPublishSinkRejected, Level = LogLevel.Error, Message = "Event {Schema} {Id} of tenant {Tenant} does not match its schema and is never published: {Reason}")]
    private static partial void LogRejected(ILogger logger, string schema, Guid id, string tenant, string reason);
}
