using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Health;
using Soma.Core.Storage;
using Soma.Core.Telemetry;

namespace Soma.Core.Outbox;

/// <summary>
/// Reads the outbox backlog on an interval and publishes it as metrics (<c>soma_outbox_pending</c>,
/// <c>soma_outbox_oldest_age_seconds</c>, <c>soma_outbox_dead_lettered</c>, per tenant) and as the <c>outbox</c> health
/// component. Scrapes and health checks read the last snapshot, so neither waits on the store.
/// </summary>
public sealed partial class OutboxMonitor : BackgroundService, IHealthReporter
{
    /// <summary>The meter name of the outbox metrics.</summary>
    public const string MeterName = SomaMeters.Outbox;

    private readonly IOutbox _outbox;
    private readonly TimeProvider _timeProvider;
    private readonly OutboxMonitorOptions _options;
    private readonly ILogger<OutboxMonitor> _logger;
    private volatile Snapshot? _snapshot;

    /// <summary>Creates the monitor and registers its instruments on <paramref name="meterFactory"/>.</summary>
    public OutboxMonitor(IOutbox outbox, TimeProvider timeProvider, IOptions<OutboxMonitorOptions> options, IMeterFactory meterFactory, ILogger<OutboxMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _outbox = outbox;
        _timeProvider = timeProvider;
        _options = options.Value;
        _logger = logger;
        var meter = meterFactory.Create(MeterName);
        SomaMeters.OutboxPending.CreateObservableGauge(meter, () => Measure(d => d.Pending));
        SomaMeters.OutboxDeadLettered.CreateObservableGauge(meter, () => Measure(d => d.DeadLettered));
        SomaMeters.OutboxOldestAge.CreateObservableGauge(meter, () => Measure(d => d.OldestPendingAt is { } t ? (_timeProvider.GetUtcNow() - t).TotalSeconds : 0));
    }

    /// <inheritdoc />
    public async Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = _snapshot ?? await RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (snapshot.Error is { } error)
        {
            return new ComponentHealth("outbox", HealthStatus.Down, new Dictionary<string, object?> { ["error"] = error });
        }

        var now = _timeProvider.GetUtcNow();
        var oldest = snapshot.Depths.Where(d => d.OldestPendingAt is not null).Select(d => d.OldestPendingAt!.Value).DefaultIfEmpty(now).Min();
        var oldestAge = Math.Max(0, (now - oldest).TotalSeconds);
        var status = oldestAge > _options.DegradedAfterSeconds ? HealthStatus.Degraded : HealthStatus.Normal;
        return new ComponentHealth("outbox", status, new Dictionary<string, object?>
        {
            ["pending"] = snapshot.Depths.Sum(d => d.Pending),
            ["dead_lettered"] = snapshot.Depths.Sum(d => d.DeadLettered),
            ["oldest_age_seconds"] = Math.Round(oldestAge, 1),
            ["read_at"] = snapshot.ReadAt,
        });
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.IntervalSeconds), _timeProvider);
        do
        {
            await RefreshAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task<Snapshot> RefreshAsync(CancellationToken cancellationToken)
    {
        Snapshot snapshot;
        try
        {
            snapshot = new Snapshot(await _outbox.GetDepthAsync(cancellationToken).ConfigureAwait(false), _timeProvider.GetUtcNow(), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReadFailed(_logger, ex);
            snapshot = new Snapshot(_snapshot?.Depths ?? [], _timeProvider.GetUtcNow(), "the outbox backlog could not be read");
        }

        _snapshot = snapshot;
        return snapshot;
    }

    private IEnumerable<Measurement<double>> Measure(Func<OutboxDepth, double> value) =>
        (_snapshot?.Depths ?? []).Select(d => new Measurement<double>(value(d), new KeyValuePair<string, object?>("tenant", d.TenantId)));

    [LoggerMessage(EventId = LogEvents.OutboxMonitorReadFailed, Level = LogLevel.Warning, Message = "Reading the outbox backlog failed")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);

    private sealed record Snapshot(IReadOnlyList<OutboxDepth> Depths, DateTimeOffset ReadAt, string? Error);
}
