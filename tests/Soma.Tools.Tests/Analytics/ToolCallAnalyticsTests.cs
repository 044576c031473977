using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Soma.Core.Storage;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;
using Soma.Tools.Tests.Invocation;

namespace Soma.Tools.Tests.Analytics;

/// <summary>
/// The analytics of every recorded call, through the real invoker, policy and SQLite store: a <c>tool_calls</c> row per
/// call in the caller's transaction (outcome, error code, bytes, sandbox as the events say), and the <c>soma.tool.*</c>
/// metrics once that transaction has committed, never for one rolled back.
/// </summary>
public sealed class ToolCallAnalyticsTests : IAsyncLifetime
{
    private const string Roles = """
        version: 1
        roles:
          user:
            tools: ["test.*"]
        """;

    private static readonly ToolStatsQuery Window = new(ToolCalls.Now.AddHours(-1), ToolCalls.Now.AddHours(1), 24);

    private readonly List<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measurements = [];
    private readonly Lock _gate = new();
    private SqliteToolHost _host = null!;
    private MeterListener _listener = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await SqliteToolHost.StartAsync(Roles, services =>
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, SlowTool>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, SandboxedEchoTool>());
        });

        // Only this host's instruments: other tests' hosts share the meter's name.
        var factory = _host.Services.GetRequiredService<IMeterFactory>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ToolMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.Start();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Each_recorded_call_is_a_row_in_the_callers_commit_and_is_measured_once_it_commits()
    {
        var invocations = new[]
        {
            await InvokeAsync("test.slow", """{"ms":1}"""),
            await InvokeAsync("test.slow", """{"ms":5000}""", TimeSpan.FromMilliseconds(100)),
            await InvokeAsync("test.echo", """{"text":"héllo"}"""),
            await InvokeAsync("math.evaluate", """{"expression":"2+3"}"""),
            await InvokeAsync("no.such", "{}"),
        };
        Assert.Equal("tool.timeout", invocations[1].Result.ErrorCode);

        await using (var transaction = await _host.Store.BeginAsync())
        {
            foreach (var invocation in invocations)
            {
                await _host.Invoker.RecordAsync(invocation, new RecordingSink(transaction));
            }

            // Nothing is measured before the commit holds.
            Assert.Empty(Measurements("soma.tool.calls"));
            await transaction.CommitAsync();
        }

        var stats = await Stats();
        Assert.Equal(["test.slow", "math.evaluate", "no.such", "test.echo"], stats.Select(s => s.Tool));
        var slow = stats[0];
        Assert.Equal((2L, 1L, 1L, 0L, 1L), (slow.Calls, slow.Succeeded, slow.Failed, slow.Denied, slow.Timeouts));
        // Two calls: the median is the shorter (nearest rank), the 99th percentile the longer.
        Assert.Equal(Math.Min(invocations[0].DurationMs, invocations[1].DurationMs), slow.P50Ms!.Value, 3);
        Assert.Equal(Math.Max(invocations[0].DurationMs, invocations[1].DurationMs), slow.P99Ms!.Value, 3);
        Assert.Equal((1L, 1L), (stats[1].Denied, stats[2].Denied));
        Assert.Null(stats[1].P50Ms);
        var echo = stats[3];
        Assert.Equal((1L, 1L, 6L), (echo.Calls, echo.Succeeded, echo.BytesOut));

        var calls = Measurements("soma.tool.calls");
        Assert.Equal(5, calls.Count);
        Assert.Equal(
            [
                "math.evaluate denied none", "test.echo succeeded bubblewrap", "test.slow failed none", "test.slow succeeded none", "unregistered denied none",
            ],
            calls.Select(c => $"{c.Tags["tool"]} {c.Tags["outcome"]} {c.Tags["sandbox"]}").Order(StringComparer.Ordinal));
        Assert.Equal(["test.echo", "test.slow", "test.slow"], Measurements("soma.tool.duration").Select(m => m.Tags["tool"]).Order(StringComparer.Ordinal));
        Assert.Equal(6, Assert.Single(Measurements("soma.tool.output.bytes"), m => m.Tags["tool"] == "test.echo").Value);
    }

    [Fact]
    public async Task A_rolled_back_commit_leaves_no_row_and_no_measurement()
    {
        var allowed = await InvokeAsync("test.echo", """{"text":"x"}""");
        await using (var transaction = await _host.Store.BeginAsync())
        {
            await _host.Invoker.RecordAsync(allowed, new RecordingSink(transaction));
        }

        Assert.Empty(await Stats());
        Assert.Empty(Measurements("soma.tool.calls"));
        Assert.Empty(Measurements("soma.tool.duration"));
    }

    private Task<IReadOnlyList<ToolStats>> Stats() => _host.Services.GetRequiredService<IToolCallLog>().StatsAsync("t-tools", Window);

    private void Measured(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString();
        }

        lock (_gate)
        {
            _measurements.Add((instrument.Name, value, copy));
        }
    }

    private List<(string Instrument, double Value, Dictionary<string, string?> Tags)> Measurements(string instrument)
    {
        lock (_gate)
        {
            return [.. _measurements.Where(m => m.Instrument == instrument)];
        }
    }

    private Task<ToolInvocation> InvokeAsync(string tool, string arguments, TimeSpan? timeout = null) =>
        _host.Invoker.InvokeAsync(new ToolCallRequest(
            new ToolCaller("t-tools", "alice", ["user"]), $"call_{Guid.NewGuid():N}", tool, arguments, ToolCalls.Context(), "tools", timeout ?? TimeSpan.FromSeconds(10)));
}
