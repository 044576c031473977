using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Soma.Core.Health;
using Soma.Core.Memory;
using Soma.Memory.Client;
using Soma.Testing;

namespace Soma.Memory.Tests.Client;

/// <summary>The health monitor against the stand-in, probing fast. Waits are generous; nothing asserts a duration.</summary>
public sealed class MemoryHealthMonitorTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private SomaBrainStandIn _standIn = null!;
    private SomaBrainHttpBackend _raw = null!;
    private ResilientMemoryBackend _client = null!;
    private ServiceProvider _services = null!;
    private MemoryHealthMonitor _monitor = null!;

    public async ValueTask InitializeAsync()
    {
        _standIn = await SomaBrainStandIn.StartAsync();
        var options = new MemoryClientOptions
        {
            BaseUrl = _standIn.BaseAddress,
            ApiKey = _standIn.Token,
            MaxRetries = 2,
            RetryBaseDelayMilliseconds = 10,
            BreakerMinimumThroughput = 2,
            BreakerFailureRatio = 0.5,
            BreakerBreakSeconds = 1,
            BreakerSamplingSeconds = 2,
            ProbeIntervalMinMilliseconds = 50,
            ProbeIntervalMaxMilliseconds = 100,
            ProbeTimeoutMilliseconds = 1000,
            DegradedLatencyMilliseconds = 250,
        };
        _raw = SomaBrainHttpBackend.Create(options);
        _client = new ResilientMemoryBackend(_raw, options);
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _monitor = new MemoryHealthMonitor(_raw, _client, options, _services.GetRequiredService<IMeterFactory>(), NullLogger<MemoryHealthMonitor>.Instance);
        await _monitor.StartAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _monitor.StopAsync(CancellationToken.None);
        _monitor.Dispose();
        _raw.Dispose();
        await _services.DisposeAsync();
        await _standIn.DisposeAsync();
    }

    private async Task WaitForAsync(MemoryMode mode)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await _monitor.WaitForModeAsync(mode, timeout.Token);
    }

    [Fact]
    public async Task A_healthy_service_is_normal_and_reported_so()
    {
        await WaitForAsync(MemoryMode.Normal);

        var health = await _monitor.CheckHealthAsync();
        Assert.Equal("memory", health.Name);
        Assert.Equal(HealthStatus.Normal, health.Status);
        Assert.Equal("normal", health.Details["mode"]);
        Assert.Equal("closed", health.Details["breaker"]);
        Assert.Equal("healthy", health.Details["last_probe"]);
        Assert.IsType<double>(health.Details["last_probe_latency_ms"]);
        Assert.NotEmpty(_standIn.RequestsTo("/health"));
    }

    [Fact]
    public async Task A_slow_health_answer_is_degraded_and_recovery_is_normal()
    {
        await WaitForAsync(MemoryMode.Normal);
        _standIn.HealthDelay = TimeSpan.FromMilliseconds(500);
        await WaitForAsync(MemoryMode.Degraded);
        Assert.Equal("slow", _monitor.LastProbe!.Outcome);

        _standIn.HealthDelay = TimeSpan.Zero;
        await WaitForAsync(MemoryMode.Normal);
    }

    [Fact]
    public async Task A_service_reporting_degraded_is_degraded()
    {
        _standIn.HealthStatus = "degraded";
        await WaitForAsync(MemoryMode.Degraded);

        Assert.Equal(HealthStatus.Degraded, (await _monitor.CheckHealthAsync()).Status);
    }

    [Fact]
    public async Task A_critical_service_is_down_and_recovery_is_normal()
    {
        var modes = new List<MemoryMode>();
        _monitor.ModeChanged += m => { lock (modes) { modes.Add(m); } };
        _standIn.HealthStatus = "critical";
        await WaitForAsync(MemoryMode.Down);
        Assert.Equal(HealthStatus.Down, (await _monitor.CheckHealthAsync()).Status);

        _standIn.HealthStatus = "healthy";
        await WaitForAsync(MemoryMode.Normal);
        lock (modes)
        {
            Assert.Equal([MemoryMode.Down, MemoryMode.Normal], modes);
        }
    }

    [Fact]
    public async Task A_closed_listener_is_down_and_reopening_it_is_normal()
    {
        await WaitForAsync(MemoryMode.Normal);
        await _standIn.StopListeningAsync();
        await WaitForAsync(MemoryMode.Down);
        Assert.Equal("failed", _monitor.LastProbe!.Outcome);
        Assert.NotNull((await _monitor.CheckHealthAsync()).Details["last_probe_error"]);

        await _standIn.StartListeningAsync();
        await WaitForAsync(MemoryMode.Normal);
    }

    [Fact]
    public async Task A_health_answer_slower_than_the_probe_timeout_is_down()
    {
        _standIn.HealthDelay = TimeSpan.FromSeconds(3);
        await WaitForAsync(MemoryMode.Down);

        Assert.Equal("timeout", _monitor.LastProbe!.Outcome);
    }

    [Fact]
    public async Task Calls_failing_partially_make_it_degraded_until_the_failures_age_out()
    {
        await WaitForAsync(MemoryMode.Normal);
        _standIn.FailNext(1, 500);

        await _client.RememberAsync(Remember("k1"));
        Assert.Equal(MemoryMode.Degraded, _monitor.Mode);

        await WaitForAsync(MemoryMode.Normal);
    }

    [Fact]
    public async Task An_open_breaker_is_down_even_while_the_probe_is_healthy()
    {
        await WaitForAsync(MemoryMode.Normal);
        _standIn.FailNext(10, 503, path: "/memory/remember");
        await Assert.ThrowsAsync<MemoryBackendException>(() => _client.RememberAsync(Remember("k1")));
        Assert.Equal(MemoryBreakerState.Open, _client.BreakerState);
        Assert.Equal(MemoryMode.Down, _monitor.Mode);
        Assert.Equal("open", (await _monitor.CheckHealthAsync()).Details["breaker"]);
    }

    [Fact]
    public async Task After_an_outage_that_opened_the_breaker_the_mode_leaves_down_once_its_break_ran_out_though_nothing_calls()
    {
        await WaitForAsync(MemoryMode.Normal);
        await _standIn.StopListeningAsync();
        await Assert.ThrowsAsync<MemoryBackendException>(() => _client.RememberAsync(Remember("k1")));
        await WaitForAsync(MemoryMode.Down);
        await _standIn.StartListeningAsync();

        // Nothing calls through the breaker here, as the sync worker makes no call while the mode is down: the probes
        // alone must see that its break has run out, or the mode would stay down and the backlog would never drain.
        await WaitForAsync(MemoryMode.Degraded);
        Assert.Equal(MemoryBreakerState.HalfOpen, _client.BreakerState);
        await _client.RememberAsync(Remember("k2"));
        Assert.Equal(MemoryBreakerState.Closed, _client.BreakerState);
        await WaitForAsync(MemoryMode.Normal);
    }

    [Fact]
    public async Task Probes_are_counted_by_outcome_and_the_gauges_report_mode_and_breaker()
    {
        var outcomes = new List<string>();
        var gauges = new Dictionary<string, int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Soma.Memory")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    lock (outcomes)
                    {
                        outcomes.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => { lock (gauges) { gauges[instrument.Name] = value; } });
        listener.Start();

        _standIn.HealthStatus = "critical";
        await WaitForAsync(MemoryMode.Down);
        await _monitor.ProbeAsync();
        listener.RecordObservableInstruments();

        lock (outcomes)
        {
            Assert.Contains("critical", outcomes);
        }

        lock (gauges)
        {
            Assert.Equal(2, gauges["soma.memory.mode"]);
            Assert.Equal(0, gauges["soma.memory.breaker_state"]);
        }
    }

    private static RememberRequest Remember(string key) =>
        new("acme", "agent", key, JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["text"] = "hello" }));
}
