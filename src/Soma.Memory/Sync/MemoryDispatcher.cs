using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Memory;
using Soma.Core.Outbox;
using Soma.Core.Storage;
using Soma.Core.Telemetry;
using Soma.Memory.Protocol;
using Soma.Memory.WriteThrough;

namespace Soma.Memory.Sync;

/// <summary>What one delivery pass did.</summary>
/// <param name="Claimed">Rows claimed from the outbox.</param>
/// <param name="Sent">Rows the memory service took.</param>
/// <param name="Failed">Rows it refused (non-transient); they are retried later or dead-lettered.</param>
/// <param name="DeadLettered">Rows given up on in this pass.</param>
/// <param name="TransientError">Why the pass stopped early and gave its rows back (service down, breaker open…), or null.</param>
public sealed record DeliveryPass(int Claimed, int Sent, int Failed, int DeadLettered, string? TransientError);

/// <summary>
/// Delivers memory writes from the outbox to the memory service: claims a batch under a lease (oldest first, so a
/// session's writes keep their order), sends runs of remembers of one tenant and namespace through the batch endpoint
/// and links one by one, marks what was taken as sent and forgets cached recalls of the namespaces written. When the
/// service is unreachable the rest of the batch is released without counting an attempt (so an outage never
/// dead-letters anything); a write the service refuses is retried with backoff and dead-lettered after
/// <c>Soma:Outbox:MaxAttempts</c> refusals, with an audit record. Used by the sync worker and by a manual flush.
/// </summary>
public sealed partial class MemoryDispatcher : IOutboxSink
{
    private static readonly TimeSpan DrainWindow = TimeSpan.FromSeconds(10);

    private readonly OutboxRelay _relay;
    private readonly IMemoryBackend _backend;
    private readonly IRecallCache _cache;
    private readonly MemoryBacklog _backlog;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<MemoryDispatcher> _logger;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<int> _batchSize;
    private readonly Queue<(long Ticks, int Count)> _recent = new();
    private readonly object _recentGate = new();

    /// <summary>Creates the dispatcher and registers its instruments.</summary>
    public MemoryDispatcher(
        OutboxRelay relay, IMemoryBackend backend, IRecallCache cache, MemoryBacklog backlog, AuditTrail audit, TimeProvider time,
        IOptions<MemorySyncOptions> options, IMeterFactory meterFactory, ILogger<MemoryDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _relay = relay;
        _backend = backend;
        _cache = cache;
        _backlog = backlog;
        _audit = audit;
        _time = time;
        Route = options.Value.Route("memory", MemoryKeys.Topics);
        _logger = logger;
        var meter = meterFactory.Create(MemoryMetrics.MeterName);
        _sent = SomaMeters.MemorySent.CreateCounter<long>(meter);
        _failed = SomaMeters.MemoryFailed.CreateCounter<long>(meter);
        _deadLettered = SomaMeters.MemoryDeadLettered.CreateCounter<long>(meter);
        _batchSize = SomaMeters.MemoryBatchSize.CreateHistogram<int>(meter);
        SomaMeters.MemoryDrainRate.CreateObservableGauge(meter, () => DrainRate);
    }

    /// <summary>Memory writes delivered per second by this process over the last 10 seconds.</summary>
    public double DrainRate
    {
        get
        {
            lock (_recentGate)
            {
                Trim(_time.GetTimestamp());
                return _recent.Sum(r => r.Count) / DrainWindow.TotalSeconds;
            }
        }
    }

    /// <summary>Claims up to <paramref name="batchSize"/> memory writes (of one tenant, or all) and delivers them.</summary>
    public async Task<DeliveryPass> DeliverAsync(string leaseOwner, int batchSize, string? tenant, CancellationToken cancellationToken)
    {
        var pass = await _relay.PassAsync(Route, this, leaseOwner, batchSize, tenant, cancellationToken).ConfigureAwait(false);
        return new DeliveryPass(pass.Claimed, pass.Sent, pass.Failed, pass.DeadLettered, pass.TransientError);
    }

    /// <summary>The memory writes' route: both write topics, in partition (session) order, with the sync worker's lease and backoff.</summary>
    public OutboxRoute Route { get; }

    /// <inheritdoc />
    async Task<SinkResult> IOutboxSink.DeliverAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        var result = new SinkResult();
        var index = 0;
        while (index < entries.Count && result.TransientError is null)
        {
            var entry = entries[index];
            if (entry.Message.Topic == MemoryKeys.LinkTopic)
            {
                var outcome = await LinkAsync(entry, cancellationToken).ConfigureAwait(false);
                result.TransientError = outcome.Transient;
                if (outcome.Refused is { } refusal)
                {
                    Refuse(result, entry, refusal);
                }
                else if (outcome.Transient is null)
                {
                    result.Sent.Add(entry);
                }

                index += outcome.Transient is null ? 1 : 0;
                continue;
            }

            // A run of remembers of one tenant and namespace goes as one batch.
            var run = new List<(OutboxEntry Entry, RememberRequest? Request)> { (entry, Parse(entry, MemoryJson.Default.RememberRequest)) };
            while (index + run.Count < entries.Count && entries[index + run.Count] is { Message.Topic: MemoryKeys.RememberTopic } next
                && next.Message.TenantId == entry.Message.TenantId
                && Parse(next, MemoryJson.Default.RememberRequest) is { } nextRequest && nextRequest.Namespace == run[0].Request?.Namespace)
            {
                run.Add((next, nextRequest));
            }

            var runResult = await RememberRunAsync(run, cancellationToken).ConfigureAwait(false);
            result.TransientError = runResult.Transient;
            result.Sent.AddRange(runResult.Sent);
            foreach (var (refusedEntry, refusal) in runResult.Refused)
            {
                Refuse(result, refusedEntry, refusal);
            }

            index += runResult.Transient is null ? run.Count : 0;
        }

        result.Handled = index;
        if (result.TransientError is not null)
        {
            _failed.Add(entries.Count - index, new KeyValuePair<string, object?>("kind", "transient"));
        }

        return result;
    }

    /// <inheritdoc />
    Task IOutboxSink.OnSentAsync(IReadOnlyList<OutboxEntry> sent, CancellationToken cancellationToken)
    {
        foreach (var group in sent.GroupBy(e => e.Message.TenantId, StringComparer.Ordinal))
        {
            _backlog.Removed(group.Key, group.Count());
        }

        _sent.Add(sent.Count);
        _batchSize.Record(sent.Count);
        lock (_recentGate)
        {
            _recent.Enqueue((_time.GetTimestamp(), sent.Count));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    async Task IOutboxSink.OnDeadLetteredAsync(OutboxEntry entry, string reason, CancellationToken cancellationToken)
    {
        _deadLettered.Add(1);
        _backlog.Removed(entry.Message.TenantId, 1);
        await _audit.WriteAsync("soma/memory", entry.Message.TenantId, "memory-sync", "memory.dead_letter", MemoryKeys.WrittenKey(entry.Message),
            $"The memory service refused this write {entry.Attempts} times; it is kept in the outbox as dead-lettered.",
            new Dictionary<string, object?> { ["outbox_id"] = entry.Message.Id, ["topic"] = entry.Message.Topic, ["attempts"] = entry.Attempts, ["last_error"] = reason },
            cancellationToken).ConfigureAwait(false);
    }

    // A refusal counts as an attempt; after the last one the relay dead-letters the row and calls back for the audit.
    private void Refuse(SinkResult result, OutboxEntry entry, string reason)
    {
        _failed.Add(1, new KeyValuePair<string, object?>("kind", "refused"));
        LogRefused(_logger, entry.Message.Topic, MemoryKeys.WrittenKey(entry.Message), entry.Attempts, reason);
        result.Refused.Add(new OutboxRefusal(entry, reason));
    }

    private async Task<RunResult> RememberRunAsync(List<(OutboxEntry Entry, RememberRequest? Request)> run, CancellationToken cancellationToken)
    {
        var result = new RunResult();
        var valid = new List<(OutboxEntry Entry, RememberRequest Request)>(run.Count);
        foreach (var (entry, request) in run)
        {
            if (request is null)
            {
                result.Refused.Add((entry, "the outbox row does not hold a remember request"));
            }
            else
            {
                valid.Add((entry, request));
            }
        }

        if (valid.Count == 0)
        {
            return result;
        }

        var first = valid[0].Request;
        try
        {
            var response = await _backend.RememberBatchAsync(
                new RememberBatchRequest(first.Tenant, first.Namespace, [.. valid.Select(v => new RememberItem(v.Request.Key, v.Request.Value, v.Request.Tags, v.Request.Links, v.Request.TraceId))]),
                cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < valid.Count; i++)
            {
                if (i < response.Results.Count && response.Results[i].Ok)
                {
                    result.Sent.Add(valid[i].Entry);
                }
                else
                {
                    result.Refused.Add((valid[i].Entry, "the memory service did not store this item of the batch"));
                }
            }

            await InvalidateAsync(first.Tenant, first.Namespace).ConfigureAwait(false);
        }
        catch (MemoryBackendException ex) when (ex.Transient)
        {
            result.Transient = ex.Message;
        }
        catch (MemoryBackendException ex) when (valid.Count > 1)
        {
            // One bad item refuses the whole batch: send them one at a time to find it, the others still go.
            LogBatchRefused(_logger, valid.Count, ex.Message);
            foreach (var (entry, request) in valid)
            {
                try
                {
                    await _backend.RememberAsync(request, cancellationToken).ConfigureAwait(false);
                    result.Sent.Add(entry);
                }
                catch (MemoryBackendException single) when (single.Transient)
                {
                    result.Transient = single.Message;
                    break;
                }
                catch (MemoryBackendException single)
                {
                    result.Refused.Add((entry, single.Message));
                }
            }

            await InvalidateAsync(first.Tenant, first.Namespace).ConfigureAwait(false);
        }
        catch (MemoryBackendException ex)
        {
            result.Refused.Add((valid[0].Entry, ex.Message));
        }

        return result;
    }

    private async Task<(string? Transient, string? Refused)> LinkAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        if (Parse(entry, MemoryJson.Default.LinkRequest) is not { } link)
        {
            return (null, "the outbox row does not hold a link request");
        }

        try
        {
            await _backend.LinkAsync(entry.Message.TenantId, link, cancellationToken).ConfigureAwait(false);
            return (null, null);
        }
        catch (MemoryBackendException ex) when (ex.Transient)
        {
            return (ex.Message, null);
        }
        catch (MemoryBackendException ex)
        {
            return (null, ex.Message);
        }
    }

    private async Task InvalidateAsync(string tenant, string @namespace)
    {
        try
        {
            await _cache.InvalidateAsync(tenant, @namespace).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogInvalidateFailed(_logger, ex);
        }
    }

    private static T? Parse<T>(OutboxEntry entry, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Message.Payload, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Trim(long now)
    {
        while (_recent.Count > 0 && _time.GetElapsedTime(_recent.Peek().Ticks, now) > DrainWindow)
        {
            _recent.Dequeue();
        }
    }

    [LoggerMessage(EventId = LogEvents.MemoryDispatcherBatchRefused, Level = LogLevel.Warning, Message = "The memory service refused a batch of {Count}; sending its items one at a time: {Reason}")]
    private static partial void LogBatchRefused(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = LogEvents.MemoryDispatcherRefused, Level = LogLevel.Warning, Message = "The memory service refused {Topic} {Key} (attempt {Attempt}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string topic, string key, int attempt, string reason);

    [LoggerMessage(EventId = LogEvents.MemoryDispatcherInvalidateFailed, Level = LogLevel.Warning, Message = "Forgetting cached recalls failed")]
    private static partial void LogInvalidateFailed(ILogger logger, Exception exception);

    private sealed class RunResult
    {
        public List<OutboxEntry> Sent { get; } = [];

        public List<(OutboxEntry Entry, string Reason)> Refused { get; } = [];

        public string? Transient { get; set; }
    }
}
