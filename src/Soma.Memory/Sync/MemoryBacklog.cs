using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Storage;
using Soma.Core.Telemetry;
using Soma.Memory.WriteThrough;

namespace Soma.Memory.Sync;

/// <summary>
/// The memory writes each tenant has waiting in the outbox: read from the store every second and kept current in
/// between by this process's own writes and deliveries. The gateway asks it before accepting a message
/// (<see cref="TryAdmit"/>), so a tenant at its cap gets 503 instead of a message accepted without its memory write.
/// Publishes <c>soma.memory.outbox.pending</c>, <c>soma.memory.outbox.oldest_age</c> and
/// <c>soma.memory.outbox.dead_lettered</c> per tenant.
/// </summary>
public sealed partial class MemoryBacklog : BackgroundService
{
    /// <summary>How often the store is read.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly IOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly ILogger<MemoryBacklog> _logger;
    private readonly int _cap;
    private readonly ConcurrentDictionary<string, Counters> _local = new(StringComparer.Ordinal);
    private volatile Dictionary<string, OutboxDepth> _read = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile bool _loaded;

    /// <summary>Creates the backlog and registers its gauges.</summary>
    public MemoryBacklog(IOutbox outbox, TimeProvider time, IOptions<MemoryOptions> options, IMeterFactory meterFactory, ILogger<MemoryBacklog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _outbox = outbox;
        _time = time;
        _logger = logger;
        _cap = options.Value.OutboxCapPerTenant;
        var meter = meterFactory.Create(MemoryMetrics.MeterName);
        SomaMeters.MemoryOutboxPending.CreateObservableGauge(meter, () => Snapshot().Select(d => Tagged((double)d.Pending, d.TenantId)));
        SomaMeters.MemoryOutboxOldestAge.CreateObservableGauge(meter, () => Snapshot().Select(d => Tagged(d.OldestPendingAt is { } t ? Math.Max(0, (_time.GetUtcNow() - t).TotalSeconds) : 0, d.TenantId)));
        SomaMeters.MemoryOutboxDeadLettered.CreateObservableGauge(meter, () => Snapshot().Select(d => Tagged((double)d.DeadLettered, d.TenantId)));
    }

    /// <summary>The per-tenant cap (<c>Soma:Memory:OutboxCapPerTenant</c>).</summary>
    public int Cap => _cap;

    /// <summary>Pending writes of <paramref name="tenant"/> as far as this process knows.</summary>
    public long Pending(string tenant)
    {
        var read = _read.TryGetValue(tenant, out var depth) ? depth.Pending : 0;
        return _local.TryGetValue(tenant, out var local) ? Math.Max(0, read + local.Net) : read;
    }

    /// <summary>
    /// Memory writes one turn makes when the model calls one tool: the user message, the tool output, the answer and the
    /// link from the message to the answer. Admission keeps this much room per turn.
    /// </summary>
    public const int WritesPerTurn = 4;

    /// <summary>
    /// Whether a new message of <paramref name="tenant"/> may be accepted: its pending writes, the writes its
    /// <paramref name="turnsInFlight"/> will still add (all but the user message, already counted) and the new turn's
    /// own writes stay within the cap. Turns that call more than one tool can pass it by their extra outputs.
    /// </summary>
    public bool TryAdmit(string tenant, int turnsInFlight = 0) =>
        Pending(tenant) + ((long)Math.Max(0, turnsInFlight) * (WritesPerTurn - 1)) + WritesPerTurn <= _cap;

    /// <summary>Every tenant with pending or dead-lettered writes: the last read adjusted by this process's writes and deliveries since.</summary>
    public IReadOnlyList<OutboxDepth> Snapshot()
    {
        var read = _read;
        var tenants = read.Keys.Concat(_local.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return [.. tenants.Select(t =>
        {
            var depth = read.TryGetValue(t, out var d) ? d : new OutboxDepth(t, 0, null, 0);
            return depth with { Pending = Pending(t) };
        }).Where(d => d.Pending > 0 || d.DeadLettered > 0)];
    }

    /// <summary>This process committed <paramref name="count"/> memory writes of <paramref name="tenant"/>.</summary>
    public void Added(string tenant, int count) => _local.GetOrAdd(tenant, static _ => new Counters()).Add(count);

    /// <summary>This process delivered (or dead-lettered) <paramref name="count"/> memory writes of <paramref name="tenant"/>.</summary>
    public void Removed(string tenant, int count) => _local.GetOrAdd(tenant, static _ => new Counters()).Remove(count);

    /// <summary>Reads the store now (also done every second in the background); a refresh under way is waited for first.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        // One refresh at a time: two that overlapped both took the same writes back out of this process's counts, and the
        // count stayed that many short until the next refresh (the status endpoint refreshes on each call, beside the
        // background one).
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A write or delivery committed while the read is under way may or may not be in it. Writes counted before the
            // read started and deliveries counted by the time it ended are taken back out, so either is counted twice at
            // worst for one interval (more pending, never fewer: admission stays on the safe side and a drain is never
            // reported done early). The order keeps that true in between: the deliveries are forgotten before the new read
            // (which no longer holds them) replaces the old one, the writes after it (which already holds them).
            var added = _local.ToDictionary(p => p.Key, p => p.Value.Added, StringComparer.Ordinal);
            var depths = await _outbox.GetDepthAsync([.. MemoryKeys.Topics], cancellationToken).ConfigureAwait(false);
            var removed = _local.ToDictionary(p => p.Key, p => p.Value.Removed, StringComparer.Ordinal);
            foreach (var (tenant, count) in removed)
            {
                _local[tenant].Remove(-count);
            }

            _read = depths.ToDictionary(d => d.TenantId, StringComparer.Ordinal);
            foreach (var (tenant, count) in added)
            {
                _local[tenant].Add(-count);
            }

            _loaded = true;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>Whether the store has been read at least once.</summary>
    public bool Loaded => _loaded;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, _time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(_logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private static Measurement<double> Tagged(double value, string tenant) => new(value, new KeyValuePair<string, object?>("tenant", tenant));

    [LoggerMessage(EventId = LogEvents.MemoryBacklogRefreshFailed, Level = LogLevel.Warning, Message = "Reading the memory backlog failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    private sealed class Counters
    {
        private long _added;
        private long _removed;

        public long Added => Interlocked.Read(ref _added);

        public long Removed => Interlocked.Read(ref _removed);

        public long Net => Added - Removed;

        public void Add(long count) => Interlocked.Add(ref _added, count);

        public void Remove(long count) => Interlocked.Add(ref _removed, count);
    }
}
