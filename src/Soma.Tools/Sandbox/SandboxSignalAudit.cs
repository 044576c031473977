using System.Diagnostics;
using System.Text.Json;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Storage;
using Soma.Tools.Analytics;
using Soma.Tools.Invocation;

namespace Soma.Tools.Sandbox;

/// <summary>
/// Writes an audit row (and its <c>audit.decision</c> event) when the sandbox stopped something a sandboxed call did: a
/// forbidden system call (<c>sandbox.seccomp_denied</c>), a call over its time limit (<c>tool.timeout</c>), a process
/// killed by a signal (<c>sandbox.killed</c>) or output cut at its cap (<c>sandbox.output_truncated</c>), and one more
/// for the requests the egress proxy refused (<c>sandbox.egress_refused</c>, the refusals in its details). The row is
/// action <c>sandbox.signal</c>, resource <c>tool/{name}</c>, decision <c>deny</c>, the code as its reason, in the
/// transaction that commits the call's events, so an operator finds every enforcement in the audit log beside the
/// policy's decisions.
/// </summary>
internal sealed class SandboxSignalAudit(IAuditLog audit, IIdGenerator ids) : IToolCallObserver
{
    /// <summary>The audit action of these rows.</summary>
    public const string Action = "sandbox.signal";

    // Egress refusals kept in one row's details; the total is kept beside them.
    private const int MaxRefusals = 20;

    public async Task OnRecordedAsync(ToolInvocation invocation, IToolEventSink sink)
    {
        var result = invocation.Result;
        if (!invocation.Ran || result.Sandbox == Soma.Contracts.Events.Sandbox.None)
        {
            return;
        }

        if (Signal(result) is { } code)
        {
            await AppendAsync(invocation, sink, code, null).ConfigureAwait(false);
        }

        if (result.EgressRefusals.Count > 0)
        {
            await AppendAsync(invocation, sink, "sandbox.egress_refused", result.EgressRefusals).ConfigureAwait(false);
        }
    }

    private async Task AppendAsync(ToolInvocation invocation, IToolEventSink sink, string code, IReadOnlyList<string>? refusals)
    {
        var result = invocation.Result;
        var request = invocation.Request;
        var tool = ToolInvoker.SafeToolName(request.Tool);
        var actor = ToolInvoker.Actor(request);
        var details = JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["tool_call_id"] = request.CallId,
            ["session_id"] = request.Context.SessionId.ToString(),
            ["run_id"] = request.Context.RunId.ToString(),
            ["profile"] = ToolCallAnalytics.SandboxName(result.Sandbox),
            ["truncated"] = result.Truncated,
            ["duration_ms"] = Math.Round(invocation.DurationMs, 3),
            ["refusals"] = refusals?.Take(MaxRefusals).Select(r => Truncate(r, 300)).ToList(),
            ["refusals_total"] = refusals?.Count,
        });
        var resource = $"tool/{tool}";
        await audit.AppendAsync(sink.Transaction, new AuditRecord(
            ids.NewId(), request.Caller.TenantId, request.Context.Now, actor, Action, resource, "deny", code, "none",
            Activity.Current?.TraceId.ToHexString(), details.GetRawText()), sink.CancellationToken).ConfigureAwait(false);
        await sink.AppendAsync(new AuditDecisionMade(actor, Action, resource, AuditDecision.Deny, "none", code, details)).ConfigureAwait(false);
    }

    /// <summary>The enforcement a sandboxed call's result shows, or null when it ended on its own.</summary>
    internal static string? Signal(Soma.Tools.Registry.ToolResult result) => result.ErrorCode switch
    {
        "sandbox.seccomp_denied" or "tool.timeout" or "sandbox.killed" => result.ErrorCode,
        _ when result.Truncated => "sandbox.output_truncated",
        _ => null,
    };

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
