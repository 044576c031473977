using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Soma.Contracts.Identity;
using Soma.Core.Storage;
using Soma.Core.Telemetry;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Soma.Tools.Analytics;

/// <summary>
/// Counts every finished tool call for the analytics: a <see cref="IToolCallLog"/> row in the transaction that commits
/// the call's <c>agent.tools.v1</c> events (so the statistics hold exactly the calls whose events exist), and, once that
/// transaction has committed, the <c>soma.tool.*</c> metrics. The row carries what the events carry: the outcome of
/// <c>tool.succeeded</c>/<c>tool.failed</c>/<c>tool.denied</c>, the error code, <c>duration_ms</c>, the output's bytes
/// and the sandbox.
/// </summary>
internal sealed class ToolCallAnalytics : IToolCallObserver
{
    // A tool name the registry does not know is the model's invention: one tag value for all of them keeps the metric's
    // series bounded (the stored row keeps the name, as the events do, for the tenant to see).
    private const string UnregisteredTag = "unregistered";

    private readonly IToolCallLog _log;
    private readonly IIdGenerator _ids;
    private readonly ToolRegistry _registry;
    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _bytes;

    public ToolCallAnalytics(IToolCallLog log, IIdGenerator ids, ToolRegistry registry, IMeterFactory meterFactory)
    {
        _log = log;
        _ids = ids;
        _registry = registry;
        var meter = meterFactory.Create(ToolMetrics.MeterName);
        _calls = SomaMeters.ToolCalls.CreateCounter<long>(meter);
        _duration = SomaMeters.ToolDuration.CreateHistogram<double>(meter);
        _bytes = SomaMeters.ToolOutputBytes.CreateHistogram<long>(meter);
    }

    public async Task OnRecordedAsync(ToolInvocation invocation, IToolEventSink sink)
    {
        var call = ToRecord(invocation);
        await _log.RecordAsync(sink.Transaction, call, sink.CancellationToken).ConfigureAwait(false);

        // Metrics count what was committed: a rolled-back step (and its retry) is counted once, by the commit that held.
        var tool = _registry.TryGet(invocation.Request.Tool, out var registered) ? registered.Name : UnregisteredTag;
        sink.Transaction.OnCommitted(() => Measure(call, tool));
    }

    private ToolCallRecord ToRecord(ToolInvocation invocation)
    {
        var request = invocation.Request;
        var tool = ToolInvoker.SafeToolName(request.Tool);
        if (!invocation.Decision.Allow)
        {
            return new ToolCallRecord(_ids.NewId(), request.Caller.TenantId, tool, ToolCallOutcome.Denied, "tool.denied", 0, 0, SandboxName(Contracts.Events.Sandbox.None), request.Context.Now);
        }

        var result = invocation.Result;
        var outcome = result.ErrorCode is null ? ToolCallOutcome.Succeeded : ToolCallOutcome.Failed;
        return new ToolCallRecord(
            _ids.NewId(), request.Caller.TenantId, tool, outcome, result.ErrorCode, invocation.DurationMs,
            Encoding.UTF8.GetByteCount(result.Output), SandboxName(result.Sandbox), request.Context.Now);
    }

    private void Measure(ToolCallRecord call, string tool)
    {
        var toolTag = new KeyValuePair<string, object?>("tool", tool);
        var sandboxTag = new KeyValuePair<string, object?>("sandbox", call.Sandbox);
        _calls.Add(1, toolTag, new("outcome", ToolCallRecord.OutcomeName(call.Outcome)), sandboxTag);
        if (call.Outcome != ToolCallOutcome.Denied)
        {
            _duration.Record(call.DurationMs, toolTag, sandboxTag);
            _bytes.Record(call.Bytes, toolTag, sandboxTag);
        }
    }

    // The name the events give it (agent.tools.v1 writes enums in snake_case).
    /// <summary>The name the events give a sandbox (<c>none</c>, <c>bubblewrap</c>, <c>gvisor</c>).</summary>
    internal static string SandboxName(Contracts.Events.Sandbox sandbox) => JsonNamingPolicy.SnakeCaseLower.ConvertName(sandbox.ToString());
}
