using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Soma.Core.Health;
using Soma.Core.Memory;
using Soma.Core.Telemetry;

namespace Soma.Memory.Client;

/// <summary>
/// Watches the memory service and says how usable it is (<see cref="Mode"/>). It probes <c>GET /health</c> on the raw
/// backend (past retries and breaker) every 1.0–1.5 s, randomised, with a 1.5 s timeout (see
/// <see cref="MemoryClientOptions"/>), and listens to every attempt and breaker change of the
/// <see cref="ResilientMemoryBackend"/>.
/// </summary>
/// <remarks>
/// <para><b>Down</b>: the probe failed or timed out, or answered <c>critical</c> or <c>ok: false</c>, or the breaker is
/// open. <b>Degraded</b>: the probe answered <c>degraded</c> or <c>ready: false</c>, or took longer than
/// <see cref="MemoryClientOptions.DegradedLatencyMilliseconds"/>, or an attempt through the resilient backend failed
/// transiently within the last <see cref="MemoryClientOptions.BreakerSamplingSeconds"/>, or the breaker is half-open.
/// <b>Normal</b> otherwise. Until the first probe the mode is <see cref="MemoryMode.Normal"/>.</para>
/// <para>Metrics on the <c>Soma.Memory</c> meter: <c>soma.memory.mode</c> (0 normal, 1 degraded, 2 down),
/// <c>soma.memory.breaker_state</c> (0 closed, 1 half-open, 2 open), <c>soma.memory.probes</c> by outcome.</para>
/// </remarks>
public sealed partial class MemoryHealthMonitor : BackgroundService, IHealthReporter
{
    /// <summary>The component name in <c>/v1/health</c>.</summary>
    public const string ComponentName = "memory";

    private readonly IMemoryBackend _probeTarget;
    private readonly ResilientMemoryBackend _client;
    private readonly MemoryClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Counter<long> _probes;
    private readonly Lock _gate = new();
    private readonly List<TaskCompletionSource> _waiters = [];
    private MemoryMode _mode = MemoryMode.Normal;
    private bool _probed;
    private ProbeResult? _lastProbe;
    private long _lastTransientFailure = -1;

    /// <summary>Creates the monitor.</summary>
    /// <param name="probeTarget">The raw backend probed directly (normally <paramref name="client"/>'s <see cref="ResilientMemoryBackend.Inner"/>).</param>
    /// <param name="client">The resilient backend whose attempts and breaker the monitor watches.</param>
    /// <param name="options">Probe interval, timeout and the degraded latency.</param>
    /// <param name="meterFactory">Creates the <c>Soma.Memory</c> meter.</param>
    /// <param name="logger">Logs mode changes.</param>
    /// <param name="timeProvider">Time; the system's by default.</param>
    public MemoryHealthMonitor(
        IMemoryBackend probeTarget,
        ResilientMemoryBackend client,
        MemoryClientOptions options,
        IMeterFactory meterFactory,
        ILogger<MemoryHealthMonitor> logger,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(probeTarget);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(logger);
        _probeTarget = probeTarget;
        _client = client;
        _options = options;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        var meter = meterFactory.Create(SomaMeters.Memory);
        SomaMeters.MemoryMode.CreateObservableGauge(meter, () => (int)Mode);
        SomaMeters.MemoryBreakerState.CreateObservableGauge(meter, () => (int)_client.BreakerState);
        _probes = SomaMeters.MemoryProbes.CreateCounter<long>(meter);
        _client.AttemptCompleted += OnAttempt;
        _client.BreakerStateChanged += OnBreakerChanged;
    }

    /// <summary>Raised with the new mode whenever it changes.</summary>
    public event Action<MemoryMode>? ModeChanged;

    /// <summary>The mode now.</summary>
    public MemoryMode Mode
    {
        get
        {
            lock (_gate)
            {
                return _mode;
            }
        }
    }

    /// <summary>The latest probe, or null before the first.</summary>
    public ProbeResult? LastProbe
    {
        get
        {
            lock (_gate)
            {
                return _lastProbe;
            }
        }
    }

    /// <summary>Completes once at least one probe has run and the mode is <paramref name="mode"/>.</summary>
    public async Task WaitForModeAsync(MemoryMode mode, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            TaskCompletionSource waiter;
            lock (_gate)
            {
                if (_probed && _mode == mode)
                {
                    return;
                }

                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add(waiter);
            }

            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Probes once now and re-evaluates the mode (the loop does this on its own schedule).</summary>
    public async Task<ProbeResult> ProbeAsync(CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        ProbeResult result;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.ProbeTimeoutMilliseconds), _time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                var health = await _probeTarget.HealthAsync(linked.Token).ConfigureAwait(false);
                var latency = _time.GetElapsedTime(started);
                var outcome = !health.Ok || string.Equals(health.Status, "critical", StringComparison.OrdinalIgnoreCase) ? "critical"
                    : string.Equals(health.Status, "degraded", StringComparison.OrdinalIgnoreCase) || !health.Ready ? "degraded"
                    : latency > TimeSpan.FromMilliseconds(_options.DegradedLatencyMilliseconds) ? "slow"
                    : "healthy";
                result = new ProbeResult(outcome, latency, health.Status, Error: null);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = new ProbeResult("timeout", _time.GetElapsedTime(started), Status: null, $"no answer within {_options.ProbeTimeoutMilliseconds} ms");
            }
            catch (MemoryBackendException ex)
            {
                result = new ProbeResult("failed", _time.GetElapsedTime(started), Status: null, ex.Message);
            }
#pragma warning disable CA1031 // An in-process inner backend may fail in its own way; for the probe that is a failure too.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                result = new ProbeResult("failed", _time.GetElapsedTime(started), Status: null, ex.GetType().Name);
            }
        }

        _probes.Add(1, new KeyValuePair<string, object?>("outcome", result.Outcome));
        lock (_gate)
        {
            _lastProbe = result;
            _probed = true;
        }

        Evaluate();
        return result;
    }

    /// <inheritdoc />
    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        MemoryMode mode;
        ProbeResult? probe;
        lock (_gate)
        {
            mode = _mode;
            probe = _lastProbe;
        }

        var details = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["mode"] = Name(mode),
            ["breaker"] = Name(_client.BreakerState),
            ["last_probe"] = probe?.Outcome,
            ["last_probe_latency_ms"] = probe is null ? null : Math.Round(probe.Latency.TotalMilliseconds, 1),
            ["service_status"] = probe?.Status,
        };
        if (probe?.Error is { } error)
        {
            details["last_probe_error"] = error;
        }

        var status = mode switch
        {
            MemoryMode.Normal => HealthStatus.Normal,
            MemoryMode.Degraded => HealthStatus.Degraded,
            _ => HealthStatus.Down,
        };
        return Task.FromResult(new ComponentHealth(ComponentName, status, details));
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _client.AttemptCompleted -= OnAttempt;
        _client.BreakerStateChanged -= OnBreakerChanged;
        base.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ProbeAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive any one probe; the failure is logged and the next probe runs.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ProbeCrashed(_logger, ex);
            }

#pragma warning disable RS0030 // Jitter spreads many processes' probes: unseeded on purpose.
            var interval = Random.Shared.Next(_options.ProbeIntervalMinMilliseconds, _options.ProbeIntervalMaxMilliseconds + 1);
#pragma warning restore RS0030
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(interval), _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void OnAttempt(MemoryCallOutcome outcome)
    {
        if (!outcome.Succeeded && outcome.Transient)
        {
            Interlocked.Exchange(ref _lastTransientFailure, _time.GetTimestamp());
            Evaluate();
        }
    }

    private void OnBreakerChanged(MemoryBreakerState state) => Evaluate();

    private void Evaluate()
    {
        var breaker = _client.BreakerState;
        var lastFailure = Interlocked.Read(ref _lastTransientFailure);
        var recentFailure = lastFailure >= 0 && _time.GetElapsedTime(lastFailure) < TimeSpan.FromSeconds(_options.BreakerSamplingSeconds);
        MemoryMode previous, next;
        string reason;
        List<TaskCompletionSource> waiters;
        lock (_gate)
        {
            var probe = _lastProbe?.Outcome;
            (next, reason) = probe is "failed" or "timeout" or "critical" ? (MemoryMode.Down, $"probe {probe}")
                : breaker == MemoryBreakerState.Open ? (MemoryMode.Down, "breaker open")
                : probe is "degraded" or "slow" ? (MemoryMode.Degraded, $"probe {probe}")
                : breaker == MemoryBreakerState.HalfOpen ? (MemoryMode.Degraded, "breaker half-open")
                : recentFailure ? (MemoryMode.Degraded, "recent call failures")
                : (MemoryMode.Normal, "healthy");
            previous = _mode;
            _mode = next;
            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetResult();
        }

        if (previous != next)
        {
            Log.ModeChanged(_logger, Name(previous), Name(next), reason);
            ModeChanged?.Invoke(next);
        }
    }

    private static string Name(MemoryMode mode) => mode switch
    {
        MemoryMode.Normal => "normal",
        MemoryMode.Degraded => "degraded",
        _ => "down",
    };

    private static string Name(MemoryBreakerState state) => state switch
    {
        MemoryBreakerState.Closed => "closed",
        MemoryBreakerState.HalfOpen => "half-open",
        _ => "open",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.MemoryHealthMonitorModeChanged, Level = LogLevel.Warning, Message = "Memory mode {Previous} -> {Mode}: {Reason}")]
        public static partial void ModeChanged(ILogger logger, string previous, string mode, string reason);

        [LoggerMessage(EventId = LogEvents.MemoryHealthMonitorProbeCrashed, Level = LogLevel.Error, Message = "Memory health probe crashed")]
        public static partial void ProbeCrashed(ILogger logger, Exception exception);
    }
}
